//go:build js && wasm

package main

import (
	"context"
	"fmt"
	"io/fs"
	"strings"
	"syscall/js"
)

// fetchSource is a models.Source over the browser's fetch, relative to a
// base URL (a folder, ending in '/'). It goes through the site's service
// worker, which keeps the models a user loaded for offline use. It is
// used instead of models.URL so that net/http stays out of the wasm.
type fetchSource string

// Where implements models.Source.
func (u fetchSource) Where(name string) string {
	return strings.TrimSuffix(string(u), "/") + "/" + name
}

// ReadFile implements models.Source. It waits on promises, so it runs on
// the runner's goroutine, never in a callback.
func (u fetchSource) ReadFile(ctx context.Context, name string) ([]byte, error) {
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
	onBuf = js.FuncOf(func(_ js.Value, a []js.Value) any {
		u8 := js.Global().Get("Uint8Array").New(a[0])
		b := make([]byte, u8.Get("length").Int())
		js.CopyBytesToGo(b, u8)
		ch <- result{b: b}
		return nil
	})
	onResp = js.FuncOf(func(_ js.Value, a []js.Value) any {
		resp := a[0]
		if !resp.Get("ok").Bool() {
			err := fmt.Errorf("HTTP %d %s", resp.Get("status").Int(), resp.Get("statusText").String())
			if resp.Get("status").Int() == 404 {
				err = fmt.Errorf("HTTP 404 (no such file): %w", fs.ErrNotExist)
			}
			ch <- result{err: err}
			return nil
		}
		resp.Call("arrayBuffer").Call("then", onBuf, onErr)
		return nil
	})
	js.Global().Call("fetch", where).Call("then", onResp, onErr)
	select {
	case res := <-ch:
		release()
		return res.b, res.err
	case <-ctx.Done():
		// The callbacks may still fire: leave them allocated.
		return nil, ctx.Err()
	}
}
