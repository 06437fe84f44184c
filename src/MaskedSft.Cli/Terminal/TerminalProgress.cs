// Progress bars with ETA (Spectre.Console, on stderr) for long work when a person watches a terminal; nothing otherwise.
using Spectre.Console;

namespace MaskedSft.Cli.Terminal;

/// <summary>
/// Runs long work (prepare, train, generate) under a Spectre.Console progress bar with percentage, elapsed time and ETA,
/// drawn on stderr, when stdout and stderr are an interactive terminal (neither redirected, not CI: Spectre's own
/// detection of CI variables and dumb terminals). Otherwise the work runs with a no-op bar and the commands keep their plain lines
/// (unchanged, so scripts and tests parse them). While a bar is shown, lines meant for a stdout that is the same
/// terminal go through <see cref="Lines"/>, which prints them above the bar instead of through it.
/// </summary>
internal sealed class TerminalProgress
{
    private readonly IAnsiConsole? _console;

    /// <summary>Creates a display over <paramref name="console"/>; null shows nothing.</summary>
    /// <param name="console">The console to draw on, or null.</param>
    public TerminalProgress(IAnsiConsole? console) => _console = console;

    /// <summary>A display on stderr when it is an interactive terminal, else one that shows nothing.</summary>
    /// <param name="stdout">The command's output; when it is not the process's stdout (tests) nothing is shown either.</param>
    /// <returns>The display.</returns>
    public static TerminalProgress ForStandardError(TextWriter stdout)
    {
        // Both streams must be the terminal: a redirected stdout (a file, a pipe, a test host) keeps today's plain lines.
        if (!ReferenceEquals(stdout, Console.Out) || Console.IsErrorRedirected || Console.IsOutputRedirected) return new TerminalProgress(null);
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        return new TerminalProgress(console.Profile.Capabilities.Interactive && console.Profile.Capabilities.Ansi ? console : null);
    }

    /// <summary>Whether a bar is drawn.</summary>
    public bool Enabled => _console is not null;

    /// <summary>Where to write the command's progress lines: through the console (above the bar) while a bar is shown,
    /// else <paramref name="stdout"/> itself.</summary>
    /// <param name="stdout">The command's output.</param>
    /// <returns>The writer.</returns>
    public TextWriter Lines(TextWriter stdout) => _console is not null ? new ConsoleLineWriter(_console) : stdout;

    /// <summary>Runs <paramref name="work"/> with one bar.</summary>
    /// <typeparam name="T">The work's result.</typeparam>
    /// <param name="description">The bar's label.</param>
    /// <param name="total">The value at completion; null for work of unknown size (an indeterminate bar).</param>
    /// <param name="work">The work; it moves the bar through the <see cref="ProgressBar"/> it is given (from any thread).</param>
    /// <returns>The work's result.</returns>
    public T Run<T>(string description, double? total, Func<ProgressBar, T> work)
    {
        if (_console is null) return work(new ProgressBar(null));
        return _console.Progress()
            .AutoClear(false)
            .HideCompleted(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .Start(context =>
            {
                var task = context.AddTask(Markup.Escape(description), autoStart: true, maxValue: total ?? 1);
                task.IsIndeterminate = total is null;
                var result = work(new ProgressBar(task));
                if (total is not null) task.Value = task.MaxValue;
                task.StopTask();
                return result;
            });
    }

    /// <summary>The bar handed to the work; does nothing when no bar is drawn.</summary>
    /// <param name="task">The Spectre task, or null.</param>
    internal sealed class ProgressBar(ProgressTask? task)
    {
        /// <summary>The Spectre task behind the bar, or null.</summary>
        internal ProgressTask? Task => task;

        /// <summary>Sets the bar's value (and its total when it changes).</summary>
        /// <param name="value">Done so far.</param>
        /// <param name="total">The value at completion, or null to keep it.</param>
        public void Report(double value, double? total = null)
        {
            if (task is null) return;
            if (total is { } t && t > 0 && t != task.MaxValue) task.MaxValue = t;
            task.Value = Math.Min(value, task.MaxValue);
        }

        /// <summary>Changes the label (e.g. counts of an indeterminate bar).</summary>
        /// <param name="description">The new label.</param>
        public void Describe(string description)
        {
            if (task is not null) task.Description = Markup.Escape(description);
        }
    }
}
