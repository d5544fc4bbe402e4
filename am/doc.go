// Package am synthesises images that excite units of a network: activation
// maximisation, or feature visualisation.
//
// Its vocabulary is Lucid's optvis, in Go. An Objective says what to
// maximise and composes with Plus, Minus and Scale:
//
//	obj := am.Channel("conv_pw_7_relu", 12).Minus(am.L2().Scale(0.1))
//
// Terms: channel, neuron, DeepDream, class (logit, softmax, log-softmax: the
// survey's Table), a direction in channel space, diversity across the batch
// (Lucid's Gram-matrix term), and the image penalties L1, L2 and total
// variation.
//
// A parameterisation says how the image is represented while it is
// optimised (pixels, or Lucid's Fourier spectrum with colour
// decorrelation); transforms say how it is jittered, scaled and rotated
// each step so the result is robust (the network runs at the transforms'
// output size when the model takes any size); a render loop runs the
// optimiser (Adam or SGD with momentum) with the survey's options (mean-image
// start, blur of the image every k steps or of the gradient, centre bias,
// percentile clipping), or the survey's Langevin sampler (Eq. 11) with a
// Prior.
//
// The loop (Engine) is written once over a Backend: on the GPU
// (NewRenderer) every step is one command buffer and nothing is read back
// but what the caller asks for; on the CPU (NewCPURenderer, the gpu/ref
// reference) the same loop runs where WebGPU is missing.
package am
