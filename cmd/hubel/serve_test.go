package main

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeSite(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string][]byte{
		"index.html":   []byte("<!doctype html><title>hubel</title>"),
		"wasm_exec.js": []byte("// go"),
		"hubel.wasm":   []byte("\x00asm\x01\x00\x00\x00raw"),
		"style.css":    []byte("body{}"),
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(files["hubel.wasm"])
	zw.Close()
	files["hubel.wasm.gz"] = gz.Bytes()
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestServe(t *testing.T) {
	srv := httptest.NewServer(siteHandler(writeSite(t)))
	defer srv.Close()
	// A transport that leaves Accept-Encoding and the body as the server sent them.
	client := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	for _, c := range []struct {
		path, accept        string
		status              int
		ctype, encoding     string
		body                string
		gzipped, varyAccept bool
	}{
		{"/", "", 200, "text/html; charset=utf-8", "", "<!doctype html><title>hubel</title>", false, false},
		{"/wasm_exec.js", "", 200, "text/javascript; charset=utf-8", "", "// go", false, false},
		{"/style.css", "gzip", 200, "text/css; charset=utf-8", "", "body{}", false, false},
		{"/hubel.wasm", "", 200, "application/wasm", "", "\x00asm\x01\x00\x00\x00raw", false, true},
		{"/hubel.wasm", "gzip, deflate, br", 200, "application/wasm", "gzip", "\x00asm\x01\x00\x00\x00raw", true, true},
		{"/hubel.wasm", "br;q=1, gzip;q=0", 200, "application/wasm", "", "\x00asm\x01\x00\x00\x00raw", false, true},
		{"/hubel.wasm", "*", 200, "application/wasm", "gzip", "\x00asm\x01\x00\x00\x00raw", true, true},
		{"/missing.js", "gzip", 404, "", "", "", false, false},
		{"/../../etc/passwd", "", 404, "", "", "", false, false},
	} {
		req, _ := http.NewRequest("GET", srv.URL+c.path, nil)
		if c.accept != "" {
			req.Header.Set("Accept-Encoding", c.accept)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		name := c.path + " [" + c.accept + "]"
		if resp.StatusCode != c.status {
			t.Errorf("%s: status %d, want %d", name, resp.StatusCode, c.status)
			continue
		}
		if c.status != 200 {
			continue
		}
		if got := resp.Header.Get("Content-Type"); got != c.ctype {
			t.Errorf("%s: Content-Type %q, want %q", name, got, c.ctype)
		}
		if got := resp.Header.Get("Content-Encoding"); got != c.encoding {
			t.Errorf("%s: Content-Encoding %q, want %q", name, got, c.encoding)
		}
		if got := strings.Contains(resp.Header.Get("Vary"), "Accept-Encoding"); got != c.varyAccept {
			t.Errorf("%s: Vary %q", name, resp.Header.Get("Vary"))
		}
		if c.gzipped {
			zr, err := gzip.NewReader(bytes.NewReader(body))
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if body, err = io.ReadAll(zr); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
		}
		if string(body) != c.body {
			t.Errorf("%s: body %q, want %q", name, body, c.body)
		}
	}
}

func TestAcceptsGzip(t *testing.T) {
	for h, want := range map[string]bool{
		"": false, "gzip": true, "GZIP": true, "deflate, gzip;q=0.5": true, "gzip;q=0": false,
		"gzip; q=0.0": false, "*": true, "*;q=0": false, "br": false, "x-gzip": true, "*, gzip;q=0": false,
	} {
		if got := acceptsGzip(h); got != want {
			t.Errorf("acceptsGzip(%q) = %v, want %v", h, got, want)
		}
	}
}

func TestDispatch(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"nope"}, &out, &errb); code != 2 || !strings.Contains(errb.String(), `unknown command "nope"`) || !strings.Contains(errb.String(), "serve") {
		t.Errorf("unknown command: exit %d, stderr %q", code, errb.String())
	}
	out.Reset()
	if code := run([]string{"help"}, &out, &errb); code != 0 || !strings.Contains(out.String(), "serve") {
		t.Errorf("help: exit %d, stdout %q", code, out.String())
	}
	// Every command is listed, its summary starting in one column after
	// the longest name.
	col := -1
	for _, c := range commands {
		i := strings.Index(out.String(), "  "+c.name+" ")
		if i < 0 {
			t.Errorf("help does not list %q", c.name)
			continue
		}
		line := out.String()[i:]
		line = line[:strings.IndexByte(line, '\n')]
		at := strings.Index(line, c.summary)
		if col < 0 {
			col = at
		}
		if at != col || at < 2+len(c.name)+1 {
			t.Errorf("help: %q's summary starts at column %d, want one column after every name (%d)", c.name, at, col)
		}
	}
	errb.Reset()
	if code := run([]string{"serve", "-dir", filepath.Join(t.TempDir(), "none")}, &out, &errb); code != 1 || !strings.Contains(errb.String(), "build.sh") {
		t.Errorf("serve of a missing folder: exit %d, stderr %q", code, errb.String())
	}
}
