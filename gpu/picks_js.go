//go:build js && wasm

package gpu

import "syscall/js"

// LocalStorage is a PickCache in the page's localStorage, under keys
// starting with prefix, so that a returning visitor skips the tuner's
// trials. Where storage is unavailable (blocked, a sandboxed frame) it
// keeps nothing and Pick measures as usual.
func LocalStorage(prefix string) PickCache { return localStorage(prefix) }

type localStorage string

func (p localStorage) Get(key string) (v string) {
	defer func() {
		if recover() != nil { // a SecurityError thrown by the browser
			v = ""
		}
	}()
	ls := js.Global().Get("localStorage")
	if ls.IsUndefined() || ls.IsNull() {
		return ""
	}
	x := ls.Call("getItem", string(p)+key)
	if x.Type() != js.TypeString {
		return ""
	}
	return x.String()
}

func (p localStorage) Set(key, variant string) {
	defer func() { _ = recover() }() // full or blocked storage: keep nothing
	ls := js.Global().Get("localStorage")
	if ls.IsUndefined() || ls.IsNull() {
		return
	}
	ls.Call("setItem", string(p)+key, variant)
}
