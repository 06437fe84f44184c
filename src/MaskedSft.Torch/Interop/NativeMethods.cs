// Loading of the native shim (libMaskedSftNative.so) and the helpers that turn its error sentinels into exceptions.
using System.Reflection;
using System.Runtime.InteropServices;

namespace MaskedSft.Torch;

/// <summary>P/Invoke entry points of the native shim; the declarations live in the generated NativeMethods.*.g.cs files.</summary>
internal static unsafe partial class NativeMethods
{
    /// <summary>Name of the native library as given to LibraryImport (resolved to libMaskedSftNative.so).</summary>
    internal const string LibraryName = "MaskedSftNative";

    /// <summary>Environment variable naming a native library file to load instead of the one beside the assembly.</summary>
    internal const string LibraryPathVariable = "MASKEDSFT_NATIVE_LIB";

    static NativeMethods()
    {
        NativeLibrary.SetDllImportResolver(typeof(NativeMethods).Assembly, Resolve);
        // libtorch picks one intra-op thread on some builds (Debian's OpenMP build does); use every core unless the
        // user chose a count through OMP_NUM_THREADS.
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable("OMP_NUM_THREADS")))
        {
            _ = msft_set_num_threads(Environment.ProcessorCount);
        }
    }

    /// <summary>Makes sure the static constructor (resolver and thread count) has run.</summary>
    internal static void EnsureLoaded()
    {
    }

    private static IntPtr Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath)
    {
        if (libraryName != LibraryName)
        {
            return IntPtr.Zero;
        }

        var explicitPath = Environment.GetEnvironmentVariable(LibraryPathVariable);
        if (!string.IsNullOrEmpty(explicitPath))
        {
            return NativeLibrary.Load(explicitPath);
        }

        var besideAssembly = Path.Combine(AppContext.BaseDirectory, "libMaskedSftNative.so");
        if (File.Exists(besideAssembly) && NativeLibrary.TryLoad(besideAssembly, out var handle))
        {
            return handle;
        }

        return NativeLibrary.TryLoad("libMaskedSftNative.so", assembly, searchPath, out handle) ? handle : IntPtr.Zero;
    }

    /// <summary>Reads and clears the last native error message of this thread.</summary>
    internal static string TakeLastError()
    {
        var message = msft_last_error();
        var text = message == IntPtr.Zero ? "native call failed without a message" : Marshal.PtrToStringUTF8(message)!;
        msft_clear_error();
        return text;
    }
}
