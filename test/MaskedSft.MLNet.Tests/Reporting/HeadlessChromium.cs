// Runs Debian's chromium headless on a local HTML file: a PNG screenshot and the DOM after layout.
using System.Diagnostics;

namespace MaskedSft.MLNet.Tests.Reporting;

/// <summary>Headless Chromium (installed by scripts/setup.sh: <c>apt-get install chromium</c>).</summary>
internal static class HeadlessChromium
{
    private static readonly string[] Candidates = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"];

    /// <summary>The browser's path; fails the test with the setup hint when it is not installed.</summary>
    public static string Executable => Candidates.FirstOrDefault(File.Exists)
        ?? throw new AssertFailedException("Chromium is not installed (looked for " + string.Join(", ", Candidates) + "). Run `bash scripts/setup.sh`: it installs Debian's chromium package for the report.html screenshot test.");

    /// <summary>Screenshots <paramref name="html"/> at the given window size into a PNG file and returns its bytes.</summary>
    public static byte[] Screenshot(string html, int width, int height)
    {
        var png = Path.Combine(Path.GetTempPath(), "msft-shot-" + Guid.NewGuid().ToString("N") + ".png");
        try
        {
            Run(html, $"--screenshot={png}", $"--window-size={width},{height}");
            Assert.IsTrue(File.Exists(png), $"chromium wrote no screenshot to {png}");
            return File.ReadAllBytes(png);
        }
        finally
        {
            File.Delete(png);
        }
    }

    /// <summary>The serialized DOM of <paramref name="html"/> after loading (<c>--dump-dom</c>).</summary>
    public static string DumpDom(string html) => Run(html, "--dump-dom");

    private static string Run(string html, params string[] extra)
    {
        var profile = Path.Combine(Path.GetTempPath(), "msft-chromium-" + Guid.NewGuid().ToString("N"));
        var start = new ProcessStartInfo(Executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // No sandbox: CI and the dev machines run as root, where Chromium's sandbox refuses to start.
        foreach (var a in new[] { "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run", "--disable-extensions",
                     "--user-data-dir=" + profile })
        {
            start.ArgumentList.Add(a);
        }

        foreach (var a in extra) start.ArgumentList.Add(a);
        start.ArgumentList.Add(new Uri(Path.GetFullPath(html)).AbsoluteUri);
        try
        {
            using var process = Process.Start(start) ?? throw new AssertFailedException($"could not start {Executable}");
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(TimeSpan.FromSeconds(180)))
            {
                process.Kill(entireProcessTree: true);
                Assert.Fail($"chromium did not finish within 180 s: {stderr.Result}");
            }

            Assert.AreEqual(0, process.ExitCode, $"chromium exited with {process.ExitCode}: {stderr.Result}");
            return stdout.Result;
        }
        finally
        {
            try
            {
                Directory.Delete(profile, recursive: true);
            }
            catch (IOException)
            {
                // best effort: chromium may still be closing files
            }
        }
    }
}
