package models

import (
	"context"
	"testing"
)

// FuzzParse feeds arbitrary model.json and shard bytes to the parser: it
// must return a model or an error, never panic or hang.
func FuzzParse(f *testing.F) {
	good := tinyModel()
	f.Add(good["model.json"], good["group1-shard1of1"])
	f.Add([]byte(`{"modelTopology":{"class_name":"Sequential","config":[{"class_name":"Dense","config":{"units":2,"batch_input_shape":[null,3]}}]},"weightsManifest":[]}`), []byte{})
	f.Add([]byte(`{"modelTopology":{"model_config":{"class_name":"Model","config":{"layers":[],"input_layers":[],"output_layers":[]}}}}`), []byte{1, 2})
	f.Fuzz(func(t *testing.T, modelJSON, shard []byte) {
		files := Files{"model.json": modelJSON, "group1-shard1of1": shard}
		m, err := Load(context.Background(), files)
		if err == nil && (m == nil || m.Input == nil || m.Output == nil) {
			t.Fatalf("nil model without error")
		}
	})
}
