// Shared by the kernel files that include it (`//!include lib/dispatch.wgsl`);
// it needs the WG constant the engine prepends.

// flat is the invocation's index in a one-dimensional grid of WG-wide
// workgroups that the launcher may fold into a second dimension when the
// grid is wider than a dispatch may be (gpu.Dispatch).
fn flat(gid: vec3<u32>, nwg: vec3<u32>) -> u32 {
    return gid.x + gid.y * nwg.x * WG;
}
