// Package models loads convolutional networks saved in TensorFlow.js's
// layers format (model.json plus binary weight shards) and turns them into
// graphs that hubel can run forward and differentiate, on the GPU engine
// (package gpu) or on the CPU reference (package gpu/ref).
//
// Loading is strict: every shard's length is checked against the manifest,
// every weight a layer needs must be present, and an unsupported layer, a
// cycle or a malformed field is an error that names the file, the field and
// the problem.
package models
