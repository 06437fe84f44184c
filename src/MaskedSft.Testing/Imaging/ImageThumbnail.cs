// Makes PNG thumbnails of HWC image tensors: libtorch's interpolate to the target size, then the PNG encoder.
using MaskedSft.Torch;

namespace MaskedSft.Testing.Imaging;

/// <summary>
/// Resizes an (H, W, C) image tensor to a square thumbnail with libtorch's <c>interpolate</c> and encodes it as PNG.
/// uint8 images are taken as 0..255; floating-point images as 0..1 (values outside are clamped). C is 1, 3 or 4.
/// </summary>
public static class ImageThumbnail
{
    /// <summary>The thumbnail side used for hard examples.</summary>
    public const int DefaultSize = 64;

    /// <summary>Resizes <paramref name="image"/> to <paramref name="size"/> × <paramref name="size"/> and returns its uint8 pixels (size, size, C).</summary>
    /// <param name="image">An (H, W, C) tensor, uint8 or floating point, on any device.</param>
    /// <param name="size">Thumbnail side in pixels.</param>
    /// <param name="mode">Area averaging (default, best for shrinking) or bilinear.</param>
    /// <returns>A CPU uint8 tensor (size, size, C); the caller disposes it.</returns>
    /// <exception cref="ArgumentNullException">When <paramref name="image"/> is null.</exception>
    /// <exception cref="ArgumentException">When the tensor is not (H, W, C) with C in {1, 3, 4}.</exception>
    /// <exception cref="ArgumentOutOfRangeException">When <paramref name="size"/> is not positive.</exception>
    public static Tensor Resize(Tensor image, int size = DefaultSize, InterpolationMode mode = InterpolationMode.Area)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(size);
        var shape = image.Shape;
        if (shape.Length != 3 || shape[2] is not (1 or 3 or 4) || shape[0] == 0 || shape[1] == 0)
        {
            throw new ArgumentException($"a thumbnail needs an (H, W, C) image with C in {{1, 3, 4}}, got [{string.Join(", ", shape)}].", nameof(image));
        }

        using var scope = new DisposeScope();
        var dtype = image.DType;
        var scaled = dtype == ScalarType.UInt8 ? image.To(ScalarType.Float32) : image.To(ScalarType.Float32).Mul(255.0);
        var nchw = scaled.Permute(2, 0, 1).Unsqueeze(0);                                      // (1, C, H, W)
        var resized = TorchOps.Interpolate(nchw, size, size, mode);                           // (1, C, size, size)
        var pixels = resized.Squeeze(0).Permute(1, 2, 0).Round().Clamp(0, 255)               // (size, size, C)
            .To(Device.Cpu, ScalarType.UInt8).Contiguous();
        return pixels.MoveToOuterScope();
    }

    /// <summary>Resizes <paramref name="image"/> (see <see cref="Resize"/>) and encodes the thumbnail as PNG.</summary>
    /// <param name="image">An (H, W, C) tensor, uint8 or floating point, on any device.</param>
    /// <param name="size">Thumbnail side in pixels.</param>
    /// <param name="mode">Area averaging (default) or bilinear.</param>
    /// <returns>The PNG bytes.</returns>
    /// <exception cref="ArgumentNullException">When <paramref name="image"/> is null.</exception>
    /// <exception cref="ArgumentException">When the tensor is not (H, W, C) with C in {1, 3, 4}.</exception>
    /// <exception cref="ArgumentOutOfRangeException">When <paramref name="size"/> is not positive.</exception>
    public static byte[] EncodePng(Tensor image, int size = DefaultSize, InterpolationMode mode = InterpolationMode.Area)
    {
        using var pixels = Resize(image, size, mode);
        var channels = (int)pixels.Shape[2];
        var bytes = new byte[size * size * channels];
        pixels.CopyToBytes(bytes);
        return PngEncoder.Encode(bytes, size, size, channels);
    }
}
