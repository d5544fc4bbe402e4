// Package am synthesises images that excite units of a network: activation
// maximisation, or feature visualisation.
//
// Its vocabulary is Lucid's optvis, in Go. An Objective says what to
// maximise and composes with Plus, Minus and Scale:
//
//	obj := am.Channel("conv_pw_7_relu", 12).Minus(am.L2().Scale(0.1))
//
// A parameterisation says how the image is represented while it is
// optimised (pixels, or Lucid's Fourier spectrum with colour
// decorrelation); transforms say how it is jittered, scaled and rotated
// each step so the result is robust; a render loop runs the optimiser.
// Every step of the loop runs on the GPU as one command buffer.
package am
