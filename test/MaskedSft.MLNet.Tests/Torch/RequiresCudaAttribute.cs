// MSTest condition that runs a test only where CUDA is available; elsewhere the test is reported skipped (NotExecuted).
using MaskedSft.Torch;

namespace MaskedSft.MLNet.Tests.Torch;

/// <summary>Runs the test or class only when libtorch sees a CUDA GPU; otherwise MSTest reports it as skipped.</summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Method, AllowMultiple = false)]
public sealed class RequiresCudaAttribute : ConditionBaseAttribute
{
    /// <summary>Creates the condition.</summary>
    public RequiresCudaAttribute()
        : base(ConditionMode.Include)
    {
        IgnoreMessage = "CUDA is not available (no GPU or a CPU-only libtorch): GPU test skipped";
    }

    /// <inheritdoc />
    public override bool IsConditionMet => Device.IsCudaAvailable;

    /// <inheritdoc />
    public override string GroupName => "Cuda";
}
