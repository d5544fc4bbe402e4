//go:build !(js && wasm)

package gpu

import (
	"fmt"
	"strings"

	"github.com/gogpu/gputypes"
	"github.com/gogpu/wgpu"
	_ "github.com/gogpu/wgpu/hal/allbackends" // register Vulkan, Metal, DX12, GLES
)

// Open acquires a real GPU adapter (a hardware GPU, or a conformant CPU
// driver such as Mesa's lavapipe) and creates a device on it.
//
// gogpu's own software backend is refused: it ignores workgroup barriers, so
// the tiled kernels would silently compute wrong answers on it.
func Open(opts Options) (*Device, error) {
	var backends gputypes.Backends
	switch strings.ToLower(opts.Backend) {
	case "":
		backends = gputypes.BackendsVulkan | gputypes.BackendsMetal | gputypes.BackendsDX12
	case "vulkan":
		backends = gputypes.BackendsVulkan
	case "gl", "gles", "opengl":
		backends = gputypes.BackendsGL
	default:
		return nil, fmt.Errorf("gpu: unknown backend %q (want vulkan or gl)", opts.Backend)
	}
	inst, err := wgpu.CreateInstance(&wgpu.InstanceDescriptor{Backends: backends})
	if err != nil {
		return nil, fmt.Errorf("gpu: create instance: %w", err)
	}
	ad, err := inst.RequestAdapter(&wgpu.RequestAdapterOptions{
		PowerPreference: gputypes.PowerPreferenceHighPerformance,
	})
	if err != nil {
		inst.Release()
		return nil, fmt.Errorf("%w: %v (on Debian, install mesa-vulkan-drivers libvulkan1 for lavapipe)", ErrNoAdapter, err)
	}
	info := ad.Info()
	if isSoftwareBackend(info) {
		ad.Release()
		inst.Release()
		return nil, fmt.Errorf("%w: adapter %q is gogpu's software backend, which ignores workgroup barriers and gives wrong answers for tiled kernels; install a Vulkan driver (Debian: mesa-vulkan-drivers libvulkan1)", ErrNoAdapter, info.Name)
	}
	d, err := newDevice(inst, ad, opts)
	if err != nil {
		ad.Release()
		inst.Release()
		return nil, err
	}
	d.Adapter = describeAdapter(info)
	return d, nil
}

// isSoftwareBackend reports whether info describes gogpu's built-in CPU
// rasteriser rather than a real driver. Mesa's llvmpipe/lavapipe are real
// drivers and pass.
func isSoftwareBackend(info gputypes.AdapterInfo) bool {
	if info.Backend == gputypes.BackendEmpty {
		return true
	}
	n := strings.ToLower(info.Name)
	return strings.Contains(n, "software renderer") || strings.HasPrefix(n, "gogpu software") || n == "software"
}
