// Frame generation on the GPU: the same pixels as src/frame/patterns.rs for
// the same seed, size and content (noise, smooth, natural).
//
// The CPU side draws from one SplitMix64 stream in order. SplitMix64 is a
// counter plus a mixer, so its n-th output (1-based) is mix(seed + n*GAMMA)
// and any thread can compute any draw without the ones before it. Compiled
// at run time by NVRTC with --fmad=false so float results match Rust's
// (which never fuses multiply-add) bit for bit.
//
// Every kernel takes (unsigned char *out, u32 w, u32 h, u64 seed) and writes
// the w*h*3 bytes of an interleaved RGB frame at `out` (src/gpu/kernels.rs
// launches them all alike and names each in `entry_point`).

typedef unsigned long long u64;
typedef unsigned int u32;

#define GAMMA 0x9E3779B97F4A7C15ULL

// The n-th output (1-based) of SplitMix64 started at `seed`.
__device__ __forceinline__ u64 splitmix_nth(u64 seed, u64 n) {
    u64 z = seed + n * GAMMA;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

// Noise: output k fills bytes 8k..8k+8, little-endian. One thread per output.
extern "C" __global__ void frame_noise(unsigned char *out, u32 w, u32 h, u64 seed) {
    u64 len = (u64)w * h * 3;
    u64 k = (u64)blockIdx.x * blockDim.x + threadIdx.x;
    u64 first = k * 8;
    if (first >= len) return;
    u64 v = splitmix_nth(seed, k + 1);
    for (int b = 0; b < 8 && first + b < len; ++b) {
        out[first + b] = (unsigned char)(v >> (8 * b));
    }
}

// Smooth gradient: one draw (the phase), then integer arithmetic per pixel.
extern "C" __global__ void frame_smooth(unsigned char *out, u32 w, u32 h, u64 seed) {
    u64 p = (u64)blockIdx.x * blockDim.x + threadIdx.x;
    if (p >= (u64)w * h) return;
    u64 x = p % w, y = p / w;
    u64 phase = splitmix_nth(seed, 1) % 256;
    u64 wm = w > 0 ? w : 1, hm = h > 0 ? h : 1, whm = (u64)w + h > 0 ? (u64)w + h : 1;
    unsigned char *px = out + p * 3;
    px[0] = (unsigned char)((x * 255 / wm + phase) % 256);
    px[1] = (unsigned char)(y * 255 / hm);
    px[2] = (unsigned char)(((x + y) * 255 / whm + 255 - phase) % 256);
}

// One value-noise lattice: its cell size, column count, and the number of
// draws made before its first value.
struct Lattice {
    u32 cell;
    u32 cols;
    u64 first_draw;
};

__device__ __forceinline__ float lattice_value(u64 seed, const Lattice &l, u32 cx, u32 cy) {
    u64 draw = splitmix_nth(seed, l.first_draw + (u64)cy * l.cols + cx + 1);
    return (float)(draw >> 40) / 16777216.0f - 0.5f;
}

// Bilinear interpolation, written in the same operation order as
// ValueNoise::at so the rounding is the same.
__device__ __forceinline__ float lattice_at(u64 seed, const Lattice &l, u32 x, u32 y) {
    u32 cx = x / l.cell, cy = y / l.cell;
    float fx = (float)(x % l.cell) / (float)l.cell;
    float fy = (float)(y % l.cell) / (float)l.cell;
    float top = lattice_value(seed, l, cx, cy) * (1.0f - fx) + lattice_value(seed, l, cx + 1, cy) * fx;
    float bottom = lattice_value(seed, l, cx, cy + 1) * (1.0f - fx) + lattice_value(seed, l, cx + 1, cy + 1) * fx;
    return top * (1.0f - fy) + bottom * fy;
}

// Natural-like: three colour lattices (cell 192), detail lattices of cell 48,
// 12 and 3 (amplitudes 70, 40, 22), then a grain stream seeded by the next
// draw, one grain draw per pixel in row-major order.
extern "C" __global__ void frame_natural(unsigned char *out, u32 w, u32 h, u64 seed) {
    u64 p = (u64)blockIdx.x * blockDim.x + threadIdx.x;
    if (p >= (u64)w * h) return;
    u32 x = (u32)(p % w), y = (u32)(p / w);
    const u32 cells[6] = {192, 192, 192, 48, 12, 3};
    Lattice lattices[6];
    u64 drawn = 0;
    for (int i = 0; i < 6; ++i) {
        u32 cols = w / cells[i] + 2, rows = h / cells[i] + 2;
        lattices[i].cell = cells[i];
        lattices[i].cols = cols;
        lattices[i].first_draw = drawn;
        drawn += (u64)cols * rows;
    }
    u64 grain_seed = splitmix_nth(seed, drawn + 1);
    const float amps[3] = {70.0f, 40.0f, 22.0f};
    float luma = 0.0f;
    for (int i = 0; i < 3; ++i) {
        luma = luma + lattice_at(seed, lattices[3 + i], x, y) * amps[i];
    }
    float noise = (float)(splitmix_nth(grain_seed, p + 1) % 9) - 4.0f;
    unsigned char *px = out + p * 3;
    for (int c = 0; c < 3; ++c) {
        float value = 128.0f + lattice_at(seed, lattices[c], x, y) * 150.0f + luma + noise;
        value = fminf(fmaxf(value, 0.0f), 255.0f);
        px[c] = (unsigned char)(u32)value;
    }
}
