// Multi-process CPU tests need Gloo in the native build; PyTorch's wheel libtorch (the GPU machine) ships without its headers.
using MaskedSft.Torch.Distributed;

namespace MaskedSft.MLNet.Tests.Distributed;

/// <summary>Skips a test that needs several processes over Gloo when the native library was built without it.</summary>
internal static class GlooBackend
{
    /// <summary>Whether this native build has Gloo.</summary>
    public static bool IsAvailable => ProcessGroup.IsBackendAvailable(DistributedBackend.Gloo);

    /// <summary>Marks the calling test inconclusive, with the reason, when this native build has no Gloo.</summary>
    public static void Require()
    {
        if (!IsAvailable)
        {
            Assert.Inconclusive("this native build has no Gloo backend (the libtorch it was built against ships without the gloo "
                + "headers, e.g. PyTorch's own libtorch on the GPU machine; Debian's libtorch-dev with libgloo-dev has them): "
                + "multi-process CPU collectives cannot run; a world of one still trains without any backend.");
        }
    }
}
