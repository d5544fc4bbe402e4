// Shared by the convolution kernel files (`//!include lib/window.wgsl`):
// where a sliding window's taps fall, forwards and back.

// Input row (or column) read by output position o through tap k; negative or
// ≥ size when the tap falls in the padding.
fn in_pos(o: u32, s: u32, k: u32, pad: u32) -> i32 {
    return i32(o * s + k) - i32(pad);
}

fn inside(i: i32, size: u32) -> bool {
    return i >= 0 && i < i32(size);
}

// exact_div is a / b for a multiple a of b, with unsigned division only: on
// NVIDIA's Vulkan driver an i32 division of a negative value through gogpu's
// SPIR-V came out as if unsigned.
fn exact_div(a: i32, b: u32) -> i32 {
    let q = i32(u32(abs(a)) / b);
    return select(q, -q, a < 0);
}

// Output position that reads input position i through tap k (stride s, pad
// before), or -1 when none does.
fn out_pos(i: u32, s: u32, k: u32, pad: u32, size: u32) -> i32 {
    let t = i32(i + pad) - i32(k);
    if (t < 0 || t % i32(s) != 0 || t / i32(s) >= i32(size)) {
        return -1;
    }
    return t / i32(s);
}
