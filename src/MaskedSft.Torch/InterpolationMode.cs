// Resampling modes of TorchOps.Interpolate.
namespace MaskedSft.Torch;

/// <summary>How <see cref="TorchOps.Interpolate"/> resamples images.</summary>
public enum InterpolationMode
{
    /// <summary>Bilinear interpolation (torch's mode="bilinear").</summary>
    Bilinear = 0,

    /// <summary>Averaging over source areas (torch's mode="area", adaptive average pooling); best for downscaling.</summary>
    Area = 1,
}
