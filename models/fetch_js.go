//go:build js && wasm

package models

import (
	"context"
	"fmt"
	"io/fs"
	"strings"
	"syscall/js"
)

// Fetch is a Source over the browser's fetch, relative to a base URL (a
// folder, ending in '/'). It goes through the site's service worker, which
// keeps the models a user loaded for offline use, and it takes files that
// the page has already started to fetch (window.hubelPrefetch, a Map from
// the file's URL to a Promise of its ArrayBuffer, 404 or null, filled by
// site/prefetch.js while the wasm loads) from there. In the browser it
// stands in for URL, so that net/http stays out of the wasm.
type Fetch string

var errNotFound = fmt.Errorf("HTTP 404 (no such file): %w", fs.ErrNotExist)

// Where implements Source.
func (u Fetch) Where(name string) string {
	return strings.TrimSuffix(string(u), "/") + "/" + name
}

// ReadFile implements Source. It waits on promises, so call it from a
// goroutine, never from inside a js.FuncOf callback. Calls may overlap.
func (u Fetch) ReadFile(ctx context.Context, name string) ([]byte, error) {
	type result struct {
		b   []byte
		err error
	}
	where := u.Where(name)
	ch := make(chan result, 1)
	var onResp, onBuf, onErr js.Func
	release := func() { onResp.Release(); onBuf.Release(); onErr.Release() }
	onErr = js.FuncOf(func(_ js.Value, a []js.Value) any {
		msg := "network error"
		if len(a) > 0 {
			msg = a[0].Call("toString").String()
		}
		ch <- result{err: fmt.Errorf("fetch: %s", msg)}
		return nil
	})
	deliver := func(buf js.Value) {
		u8 := js.Global().Get("Uint8Array").New(buf)
		b := make([]byte, u8.Get("length").Int())
		js.CopyBytesToGo(b, u8)
		ch <- result{b: b}
	}
	onBuf = js.FuncOf(func(_ js.Value, a []js.Value) any {
		deliver(a[0])
		return nil
	})
	onResp = js.FuncOf(func(_ js.Value, a []js.Value) any {
		resp := a[0]
		if !resp.Get("ok").Bool() {
			err := fmt.Errorf("HTTP %d %s", resp.Get("status").Int(), resp.Get("statusText").String())
			if resp.Get("status").Int() == 404 {
				err = errNotFound
			}
			ch <- result{err: err}
			return nil
		}
		resp.Call("arrayBuffer").Call("then", onBuf, onErr)
		return nil
	})
	fetch := func() { js.Global().Call("fetch", where).Call("then", onResp, onErr) }
	if p := prefetched(where); p.Truthy() {
		// A prefetched file; a failed or refused prefetch (null) is
		// fetched again, so that its error is this call's own.
		var onPre js.Func
		onPre = js.FuncOf(func(_ js.Value, a []js.Value) any {
			onPre.Release()
			switch {
			case len(a) > 0 && a[0].Type() == js.TypeNumber && a[0].Int() == 404:
				ch <- result{err: errNotFound}
				return nil
			case len(a) > 0 && a[0].Truthy():
				deliver(a[0])
				return nil
			}
			fetch()
			return nil
		})
		p.Call("then", onPre)
	} else {
		fetch()
	}
	select {
	case res := <-ch:
		release()
		return res.b, res.err
	case <-ctx.Done():
		// The callbacks may still fire: leave them allocated.
		return nil, ctx.Err()
	}
}

// Prefetch starts fetching the named files, which a later ReadFile takes
// (through the page's window.hubelPrefetchURL, site/prefetch.js; a page
// without it fetches them when they are read).
func (u Fetch) Prefetch(names ...string) {
	f := js.Global().Get("hubelPrefetchURL")
	if f.Type() != js.TypeFunction {
		return
	}
	for _, n := range names {
		f.Invoke(u.Where(n))
	}
}

// prefetched takes the page's prefetch of url out of window.hubelPrefetch
// (a Promise), or returns undefined.
func prefetched(url string) js.Value {
	m := js.Global().Get("hubelPrefetch")
	if m.Type() != js.TypeObject || m.Get("get").Type() != js.TypeFunction {
		return js.Undefined()
	}
	p := m.Call("get", url)
	if p.Truthy() {
		m.Call("delete", url)
	}
	return p
}
