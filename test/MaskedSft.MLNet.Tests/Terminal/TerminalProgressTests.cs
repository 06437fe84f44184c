// Terminal progress: a Spectre bar with percentage on an interactive console, lines printed above it, nothing otherwise.
using MaskedSft.Cli.Terminal;
using Spectre.Console;

namespace MaskedSft.MLNet.Tests.Terminal;

[TestClass]
public sealed class TerminalProgressTests
{
    private static double ReadMax(TerminalProgress.ProgressBar bar) => bar.Task!.MaxValue;

    private static IAnsiConsole Interactive(StringWriter writer) => AnsiConsole.Create(new AnsiConsoleSettings
    {
        Ansi = AnsiSupport.Yes,
        ColorSystem = ColorSystemSupport.Standard,
        Interactive = InteractionSupport.Yes,
        Out = new AnsiConsoleOutput(writer),
    });

    [TestMethod]
    public void Run_OnAnInteractiveConsole_DrawsTheBarToCompletion_AndPrintsLinesAboveIt()
    {
        var screen = new StringWriter();
        var console = Interactive(screen);
        var progress = new TerminalProgress(console);
        Assert.IsTrue(progress.Enabled);
        var lines = new ConsoleLineWriter(console);
        var result = progress.Run("train", 10, bar =>
        {
            for (var step = 1; step <= 10; step++)
            {
                bar.Report(step);
                lines.WriteLine($"step {step}/10 | loss 1.0");
            }

            return 42;
        });
        Assert.AreEqual(42, result);
        var text = screen.ToString();
        StringAssert.Contains(text, "train");
        StringAssert.Contains(text, "100%");
        StringAssert.Contains(text, "\u001b[", "ANSI control sequences redraw the bar");
        for (var step = 1; step <= 10; step++) StringAssert.Contains(text, $"step {step}/10 | loss 1.0");
    }

    [TestMethod]
    public void Run_WithoutATerminal_RunsTheWorkAndDrawsNothing()
    {
        var progress = new TerminalProgress(null);
        Assert.IsFalse(progress.Enabled);
        var stdout = new StringWriter();
        Assert.AreSame(stdout, progress.Lines(stdout));
        Assert.AreEqual(7, progress.Run("prepare", 1.0, bar =>
        {
            bar.Report(0.5);
            bar.Describe("half");
            return 7;
        }));
        Assert.AreEqual(string.Empty, stdout.ToString());
        Assert.IsFalse(TerminalProgress.ForStandardError(stdout).Enabled, "a writer other than the process's stdout (a test, a file) gets no bar");
    }

    [TestMethod]
    public void StepProgress_MovesTheBarToTheTrainersStep()
    {
        var screen = new StringWriter();
        var progress = new TerminalProgress(Interactive(screen));
        var steps = new StepProgress();
        steps.Report(new MaskedSft.MLNet.Training.TrainingProgress(1, 4)); // before a bar exists: ignored
        progress.Run("train", 100, bar =>
        {
            steps.Bar = bar;
            steps.Report(new MaskedSft.MLNet.Training.TrainingProgress(2, 4)); // the total follows the trainer's MaxSteps
            Assert.AreEqual(4.0, ReadMax(bar));
            return 0;
        });
        StringAssert.Contains(screen.ToString(), "train");
        StringAssert.Contains(screen.ToString(), "100%");
    }
}
