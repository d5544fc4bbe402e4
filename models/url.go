//go:build !(js && wasm)

package models

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// URL is a Source fetching over HTTP(S) relative to a base URL (the folder
// holding model.json, with or without a trailing slash). In the browser
// Fetch takes its place: net/http would add megabytes to the wasm.
type URL string

// ReadFile implements Source.
func (u URL) ReadFile(ctx context.Context, name string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.Where(name), nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("HTTP %s", resp.Status)
	}
	return io.ReadAll(resp.Body)
}

// Where implements Source.
func (u URL) Where(name string) string { return strings.TrimSuffix(string(u), "/") + "/" + name }
