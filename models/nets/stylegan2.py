"""The StyleGAN2 generator of rosinality/stylegan2-pytorch (``model.py``), in pure PyTorch.

A faithful port of its ``Generator`` with the same module tree, so a
``g_ema`` state dict loads with ``load_state_dict(strict=True)``: the mapping
network ``style.{1..n_mlp}``, ``input.input``, ``conv1``/``to_rgb1``, the
``convs``/``to_rgbs`` lists (blur kernels are buffers there too) and the fixed
noise buffers ``noises.noise_i``. The custom CUDA ops are replaced by the
reference CPU paths rosinality ships (``op/fused_act.py``, ``op/upfirdn2d.py``
``upfirdn2d_native``), which run on any device.

One addition: ``channels`` may override rosinality's channel table, so tests
can build a tiny network with the real key names.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F

BLUR_KERNEL = (1, 3, 3, 1)


def channel_table(channel_multiplier: int = 2) -> dict[int, int]:
    """Rosinality's channels per resolution (config-f is ``channel_multiplier=2``)."""
    m = channel_multiplier
    return {4: 512, 8: 512, 16: 512, 32: 512, 64: 256 * m, 128: 128 * m, 256: 64 * m, 512: 32 * m, 1024: 16 * m}


def fused_leaky_relu(x: torch.Tensor, bias: torch.Tensor | None = None, negative_slope: float = 0.2,
                     scale: float = 2 ** 0.5) -> torch.Tensor:
    """Bias, leaky ReLU, then the gain √2 that keeps activations' variance (rosinality's CPU path)."""
    if bias is not None:
        x = x + bias.view(1, bias.shape[0], *([1] * (x.ndim - 2)))
    return F.leaky_relu(x, negative_slope=negative_slope) * scale


def upfirdn2d(x: torch.Tensor, kernel: torch.Tensor, up: int = 1, down: int = 1, pad=(0, 0)) -> torch.Tensor:
    """Upsample by zero insertion, pad, filter with ``kernel``, downsample (``upfirdn2d_native``)."""
    pad_x0, pad_x1 = pad
    pad_y0, pad_y1 = pad
    _, channel, in_h, in_w = x.shape
    out = x.reshape(-1, in_h, 1, in_w, 1, 1)
    out = F.pad(out, [0, 0, 0, up - 1, 0, 0, 0, up - 1])
    out = out.view(-1, in_h * up, in_w * up, 1)
    out = F.pad(out, [0, 0, max(pad_x0, 0), max(pad_x1, 0), max(pad_y0, 0), max(pad_y1, 0)])
    out = out[:, max(-pad_y0, 0):out.shape[1] - max(-pad_y1, 0), max(-pad_x0, 0):out.shape[2] - max(-pad_x1, 0), :]
    out = out.permute(0, 3, 1, 2).reshape([-1, 1, in_h * up + pad_y0 + pad_y1, in_w * up + pad_x0 + pad_x1])
    kernel_h, kernel_w = kernel.shape
    # Convolution, not correlation: the kernel is flipped as in the CUDA op.
    out = F.conv2d(out, torch.flip(kernel, [0, 1]).view(1, 1, kernel_h, kernel_w).to(out.dtype))
    out = out[:, :, ::down, ::down]
    out_h = (in_h * up + pad_y0 + pad_y1 - kernel_h + down) // down
    out_w = (in_w * up + pad_x0 + pad_x1 - kernel_w + down) // down
    return out.reshape(-1, channel, out_h, out_w)


def make_kernel(k) -> torch.Tensor:
    """A normalised 2-D FIR kernel from a 1-D (separable) or 2-D list."""
    k = torch.tensor(k, dtype=torch.float32)
    if k.ndim == 1:
        k = k[None, :] * k[:, None]
    return k / k.sum()


class PixelNorm(nn.Module):
    """Normalise each latent to unit mean square (the mapping network's first step)."""

    def forward(self, x):
        return x * torch.rsqrt(torch.mean(x ** 2, dim=1, keepdim=True) + 1e-8)


class Upsample(nn.Module):
    """×2 upsampling with the blur kernel (used on the RGB skip path)."""

    def __init__(self, kernel, factor: int = 2):
        super().__init__()
        self.factor = factor
        self.register_buffer("kernel", make_kernel(kernel) * factor ** 2)
        p = self.kernel.shape[0] - factor
        self.pad = ((p + 1) // 2 + factor - 1, p // 2)

    def forward(self, x):
        return upfirdn2d(x, self.kernel, up=self.factor, pad=self.pad)


class Blur(nn.Module):
    """The FIR low-pass applied after a transposed convolution."""

    def __init__(self, kernel, pad, upsample_factor: int = 1):
        super().__init__()
        k = make_kernel(kernel)
        if upsample_factor > 1:
            k = k * upsample_factor ** 2
        self.register_buffer("kernel", k)
        self.pad = pad

    def forward(self, x):
        return upfirdn2d(x, self.kernel, pad=self.pad)


class EqualLinear(nn.Module):
    """A linear layer with the equalised learning rate (weights scaled at run time, ``lr_mul``)."""

    def __init__(self, in_dim, out_dim, bias=True, bias_init=0.0, lr_mul=1.0, activation=None):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(out_dim, in_dim).div_(lr_mul))
        self.bias = nn.Parameter(torch.zeros(out_dim).fill_(bias_init)) if bias else None
        self.activation = activation
        self.scale = (1 / math.sqrt(in_dim)) * lr_mul
        self.lr_mul = lr_mul

    def forward(self, x):
        if self.activation:
            return fused_leaky_relu(F.linear(x, self.weight * self.scale), self.bias * self.lr_mul)
        return F.linear(x, self.weight * self.scale, bias=self.bias * self.lr_mul)


class ModulatedConv2d(nn.Module):
    """A convolution whose weights are scaled per input channel by the style (and demodulated).

    Each sample gets its own weights; they run as one grouped convolution, as
    in rosinality's default ``fused=True`` path.
    """

    def __init__(self, in_channel, out_channel, kernel_size, style_dim, demodulate=True, upsample=False,
                 blur_kernel=BLUR_KERNEL):
        super().__init__()
        self.kernel_size, self.in_channel, self.out_channel = kernel_size, in_channel, out_channel
        self.upsample = upsample
        if upsample:
            factor = 2
            p = (len(blur_kernel) - factor) - (kernel_size - 1)
            self.blur = Blur(blur_kernel, pad=((p + 1) // 2 + factor - 1, p // 2 + 1), upsample_factor=factor)
        self.scale = 1 / math.sqrt(in_channel * kernel_size ** 2)
        self.padding = kernel_size // 2
        self.weight = nn.Parameter(torch.randn(1, out_channel, in_channel, kernel_size, kernel_size))
        self.modulation = EqualLinear(style_dim, in_channel, bias_init=1)
        self.demodulate = demodulate

    def forward(self, x, style):
        batch, in_channel, height, width = x.shape
        k = self.kernel_size
        style = self.modulation(style).view(batch, 1, in_channel, 1, 1)
        weight = self.scale * self.weight * style
        if self.demodulate:
            demod = torch.rsqrt(weight.pow(2).sum([2, 3, 4]) + 1e-8)
            weight = weight * demod.view(batch, self.out_channel, 1, 1, 1)
        x = x.reshape(1, batch * in_channel, height, width)
        if self.upsample:
            weight = weight.transpose(1, 2).reshape(batch * in_channel, self.out_channel, k, k)
            out = F.conv_transpose2d(x, weight, padding=0, stride=2, groups=batch)
            out = self.blur(out.view(batch, self.out_channel, *out.shape[2:]))
        else:
            weight = weight.view(batch * self.out_channel, in_channel, k, k)
            out = F.conv2d(x, weight, padding=self.padding, groups=batch)
            out = out.view(batch, self.out_channel, *out.shape[2:])
        return out


class NoiseInjection(nn.Module):
    """Adds per-pixel noise scaled by a learned weight."""

    def __init__(self):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(1))

    def forward(self, image, noise=None):
        if noise is None:
            noise = image.new_empty(image.shape[0], 1, *image.shape[2:]).normal_()
        return image + self.weight * noise


class ConstantInput(nn.Module):
    """The learned 4×4 tensor every image starts from."""

    def __init__(self, channel, side=4):
        super().__init__()
        self.input = nn.Parameter(torch.randn(1, channel, side, side))

    def forward(self, latent):
        return self.input.repeat(latent.shape[0], 1, 1, 1)


class FusedLeakyReLU(nn.Module):
    """Bias plus scaled leaky ReLU (the parameter is ``activate.bias`` in the state dict)."""

    def __init__(self, channel):
        super().__init__()
        self.bias = nn.Parameter(torch.zeros(channel))

    def forward(self, x):
        return fused_leaky_relu(x, self.bias)


class StyledConv(nn.Module):
    """Modulated convolution, noise, activation."""

    def __init__(self, in_channel, out_channel, kernel_size, style_dim, upsample=False, blur_kernel=BLUR_KERNEL):
        super().__init__()
        self.conv = ModulatedConv2d(in_channel, out_channel, kernel_size, style_dim, upsample=upsample,
                                    blur_kernel=blur_kernel)
        self.noise = NoiseInjection()
        self.activate = FusedLeakyReLU(out_channel)

    def forward(self, x, style, noise=None):
        return self.activate(self.noise(self.conv(x, style), noise=noise))


class ToRGB(nn.Module):
    """A 1×1 modulated convolution to RGB, added to the upsampled RGB of the level below."""

    def __init__(self, in_channel, style_dim, upsample=True, blur_kernel=BLUR_KERNEL):
        super().__init__()
        if upsample:
            self.upsample = Upsample(blur_kernel)
        self.conv = ModulatedConv2d(in_channel, 3, 1, style_dim, demodulate=False)
        self.bias = nn.Parameter(torch.zeros(1, 3, 1, 1))

    def forward(self, x, style, skip=None):
        out = self.conv(x, style) + self.bias
        if skip is not None:
            out = out + self.upsample(skip)
        return out


class Generator(nn.Module):
    """Rosinality's StyleGAN2 ``Generator``: mapping network plus synthesis network.

    Parameters
    ----------
    size, style_dim, n_mlp, channel_multiplier, lr_mlp
        As in rosinality's ``Generator`` (``size`` a power of two ≥ 8).
    channels
        Optional channels per resolution replacing rosinality's table
        (tiny test networks); the key names stay the same.
    """

    def __init__(self, size: int, style_dim: int, n_mlp: int, channel_multiplier: int = 2,
                 blur_kernel=BLUR_KERNEL, lr_mlp: float = 0.01, channels: dict[int, int] | None = None):
        super().__init__()
        self.size, self.style_dim = size, style_dim
        self.style = nn.Sequential(PixelNorm(), *(
            EqualLinear(style_dim, style_dim, lr_mul=lr_mlp, activation="fused_lrelu") for _ in range(n_mlp)))
        self.channels = dict(channels) if channels else channel_table(channel_multiplier)
        self.input = ConstantInput(self.channels[4])
        self.conv1 = StyledConv(self.channels[4], self.channels[4], 3, style_dim, blur_kernel=blur_kernel)
        self.to_rgb1 = ToRGB(self.channels[4], style_dim, upsample=False)
        self.log_size = int(math.log(size, 2))
        self.num_layers = (self.log_size - 2) * 2 + 1
        self.convs, self.to_rgbs = nn.ModuleList(), nn.ModuleList()
        self.noises = nn.Module()
        for layer_idx in range(self.num_layers):
            side = 2 ** ((layer_idx + 5) // 2)
            self.noises.register_buffer(f"noise_{layer_idx}", torch.randn(1, 1, side, side))
        in_channel = self.channels[4]
        for i in range(3, self.log_size + 1):
            out_channel = self.channels[2 ** i]
            self.convs.append(StyledConv(in_channel, out_channel, 3, style_dim, upsample=True, blur_kernel=blur_kernel))
            self.convs.append(StyledConv(out_channel, out_channel, 3, style_dim, blur_kernel=blur_kernel))
            self.to_rgbs.append(ToRGB(out_channel, style_dim))
            in_channel = out_channel
        self.n_latent = self.log_size * 2 - 2

    def mapping(self, z: torch.Tensor) -> torch.Tensor:
        """Z (n, style_dim) → W (n, style_dim)."""
        return self.style(z)

    def fixed_noise(self) -> list[torch.Tensor]:
        """The stored noise buffers, one per layer: with them the synthesis is deterministic."""
        return [getattr(self.noises, f"noise_{i}") for i in range(self.num_layers)]

    def blocks(self) -> int:
        """How many resolution levels :meth:`synthesis` runs (for progress)."""
        return self.log_size - 1

    def synthesis(self, latent: torch.Tensor, noise=None, on_block=None) -> torch.Tensor:
        """W+ (n, n_latent, style_dim) → images (n, 3, size, size) in about [-1, 1].

        ``noise``: per-layer noise tensors, or None for fresh random noise
        (rosinality's ``randomize_noise=True``). ``on_block()`` is called after
        each resolution level, so a slow CPU decode can report progress.
        """
        noise = noise if noise is not None else [None] * self.num_layers
        out = self.conv1(self.input(latent), latent[:, 0], noise=noise[0])
        skip = self.to_rgb1(out, latent[:, 1])
        if on_block is not None:
            on_block()
        i = 1
        for conv1, conv2, noise1, noise2, to_rgb in zip(self.convs[::2], self.convs[1::2], noise[1::2], noise[2::2],
                                                        self.to_rgbs):
            out = conv1(out, latent[:, i], noise=noise1)
            out = conv2(out, latent[:, i + 1], noise=noise2)
            skip = to_rgb(out, latent[:, i + 2], skip)
            i += 2
            if on_block is not None:
                on_block()
        return skip

    def forward(self, styles, truncation=1.0, truncation_latent=None, input_is_latent=False, noise=None,
                randomize_noise=True, inject_index=None):
        """Rosinality's call signature (one or two style inputs); returns ``(image, None)``."""
        if not input_is_latent:
            styles = [self.style(s) for s in styles]
        if noise is None and not randomize_noise:
            noise = self.fixed_noise()
        if truncation < 1:
            styles = [truncation_latent + truncation * (s - truncation_latent) for s in styles]
        if len(styles) < 2:
            latent = styles[0] if styles[0].ndim == 3 else styles[0].unsqueeze(1).repeat(1, self.n_latent, 1)
        else:
            cut = self.n_latent // 2 if inject_index is None else inject_index
            latent = torch.cat([styles[0].unsqueeze(1).repeat(1, cut, 1),
                                styles[1].unsqueeze(1).repeat(1, self.n_latent - cut, 1)], 1)
        return self.synthesis(latent, noise), None
