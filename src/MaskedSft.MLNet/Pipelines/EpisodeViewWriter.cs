// Writes the rows of an IDataView (Tokens, LossMask, optional Advantages/Key/Score/Group) into an episode dataset.
using System.Globalization;
using MaskedSft.MLNet.Data;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace MaskedSft.MLNet.Pipelines;

/// <summary>
/// Reads episode rows from a data view and appends them to an <see cref="EpisodeDatasetWriter"/>: the column types are
/// checked first (errors name the column, the expected and the actual type), then each row is validated by the writer
/// (errors name the row).
/// </summary>
internal sealed class EpisodeViewWriter
{
    private readonly IDataView _data;
    private readonly DataViewSchema.Column _tokens;
    private readonly DataViewSchema.Column _mask;
    private readonly DataViewSchema.Column? _advantages;
    private readonly DataViewSchema.Column? _key;
    private readonly DataViewSchema.Column? _score;
    private readonly DataViewSchema.Column? _group;

    /// <param name="data">The rows.</param>
    /// <param name="options">The columns to read.</param>
    /// <param name="includeAdvantages">Whether to write the advantages column when the data has it.</param>
    public EpisodeViewWriter(IDataView data, SaveEpisodesOptions options, bool includeAdvantages = true)
    {
        _data = data;
        var schema = data.Schema;
        _tokens = new ColumnRequirement(options.TokensColumnName, "token ids", NumberDataViewType.Int32, true).Check(schema);
        _mask = new ColumnRequirement(options.LossMaskColumnName, "loss mask", BooleanDataViewType.Instance, true).Check(schema);
        _advantages = !includeAdvantages ? null : Optional(schema, new ColumnRequirement(options.AdvantagesColumnName, "advantages", NumberDataViewType.Single, true));
        _key = Optional(schema, new ColumnRequirement(options.KeyColumnName, "episode key", NumberDataViewType.UInt64, false));
        _group = Optional(schema, new ColumnRequirement(options.GroupColumnName, "group id", NumberDataViewType.Int64, false));
        var score = schema.GetColumnOrNull(options.ScoreColumnName);
        _score = score is { } s && s.Type.Equals(NumberDataViewType.Single)
            ? s
            : Optional(schema, new ColumnRequirement(options.ScoreColumnName, "score", NumberDataViewType.Double, false));
    }

    /// <summary>Whether the data has an advantages column (the dataset then gets advantages.bin).</summary>
    public bool HasAdvantages => _advantages is not null;

    /// <summary>Writes a whole dataset from <paramref name="data"/>.</summary>
    public static void Save(IDataView data, string directory, SaveEpisodesOptions options)
    {
        var reader = new EpisodeViewWriter(data, options);
        var writerOptions = reader.WriterOptions(options, null);
        using var writer = new EpisodeDatasetWriter(directory, writerOptions);
        long rows = reader.AppendTo(writer, split: null, CancellationToken.None);
        if (rows == 0)
        {
            throw new InvalidOperationException($"SaveEpisodes: the data has no rows; nothing was written to {directory}.");
        }

        writer.Complete();
    }

    /// <summary>The writer options: vocabulary, pad id and tokenizer from the options, else from the tokens column's annotations.</summary>
    /// <param name="options">The save options.</param>
    /// <param name="vocabFloor">A vocabulary size the result must reach (another view written into the same dataset), or null.</param>
    public EpisodeDatasetWriterOptions WriterOptions(SaveEpisodesOptions options, int? vocabFloor)
    {
        var annotations = _tokens.Annotations;
        int vocab = options.VocabSize ?? AnnotationInt(annotations, EpisodeColumns.VocabSizeAnnotation) ?? MaxId() + 1;
        vocab = Math.Max(vocab, vocabFloor ?? 1);
        int pad = options.PadId ?? AnnotationInt(annotations, EpisodeColumns.PadIdAnnotation) ?? 0;
        var tokenizer = options.Tokenizer;
        if (tokenizer is null && AnnotationText(annotations, EpisodeColumns.TokenizerNameAnnotation) is { } name)
        {
            tokenizer = new TokenizerIdentity { Name = name, Fingerprint = AnnotationText(annotations, EpisodeColumns.TokenizerFingerprintAnnotation) };
        }

        return new EpisodeDatasetWriterOptions
        {
            VocabSize = vocab,
            PadId = pad,
            WithAdvantages = HasAdvantages,
            Tokenizer = tokenizer,
            Source = options.Source ?? "ML.NET data view",
            ValidationFraction = options.ValidationFraction,
            SplitSeed = options.SplitSeed,
            Overwrite = options.Overwrite,
        };
    }

    /// <summary>Appends every row as an episode (with <paramref name="split"/>, or the writer's rule when null).</summary>
    /// <returns>The number of rows written.</returns>
    /// <exception cref="ArgumentException">A row is invalid; the message names the row and the problem.</exception>
    public long AppendTo(EpisodeDatasetWriter writer, DatasetSplit? split, CancellationToken cancellationToken)
    {
        var columns = new List<DataViewSchema.Column> { _tokens, _mask };
        foreach (var optional in new[] { _advantages, _key, _score, _group })
        {
            if (optional is { } c)
            {
                columns.Add(c);
            }
        }

        using var cursor = _data.GetRowCursor(columns);
        var tokensGetter = cursor.GetGetter<VBuffer<int>>(_tokens);
        var maskGetter = cursor.GetGetter<VBuffer<bool>>(_mask);
        var advantagesGetter = _advantages is { } a ? cursor.GetGetter<VBuffer<float>>(a) : null;
        var keyGetter = _key is { } k ? cursor.GetGetter<ulong>(k) : null;
        Func<double>? readScore = _score switch
        {
            null => null,
            { } s when s.Type.Equals(NumberDataViewType.Single) => Reader(cursor.GetGetter<float>(s), v => v),
            { } s => Reader(cursor.GetGetter<double>(s), v => v),
        };
        var groupGetter = _group is { } g ? cursor.GetGetter<long>(g) : null;
        VBuffer<int> tokens = default;
        VBuffer<bool> mask = default;
        VBuffer<float> advantages = default;
        byte[] maskBytes = [];
        long rows = 0;
        while (cursor.MoveNext())
        {
            cancellationToken.ThrowIfCancellationRequested();
            tokensGetter(ref tokens);
            maskGetter(ref mask);
            var ids = Dense(tokens);
            var bits = Dense(mask);
            string at = string.Create(CultureInfo.InvariantCulture, $"row {cursor.Position}");
            if (ids.Length == 0)
            {
                throw new ArgumentException($"SaveEpisodes: {at} has no tokens in '{_tokens.Name}'; an episode needs at least one token.");
            }

            if (bits.Length != ids.Length)
            {
                throw new ArgumentException($"SaveEpisodes: {at} has {ids.Length} tokens in '{_tokens.Name}' but {bits.Length} values in '{_mask.Name}'; they must be equal.");
            }

            if (maskBytes.Length < bits.Length)
            {
                maskBytes = new byte[Math.Max(bits.Length, maskBytes.Length * 2)];
            }

            for (int i = 0; i < bits.Length; i++)
            {
                maskBytes[i] = bits[i] ? (byte)1 : (byte)0;
            }

            ReadOnlySpan<float> weights = default;
            if (advantagesGetter is not null)
            {
                advantagesGetter(ref advantages);
                weights = Dense(advantages);
                if (weights.Length != ids.Length)
                {
                    throw new ArgumentException($"SaveEpisodes: {at} has {ids.Length} tokens but {weights.Length} values in '{_advantages!.Value.Name}'; they must be equal.");
                }
            }

            ulong key = 0;
            keyGetter?.Invoke(ref key);
            long group = EpisodeColumns.NoGroup;
            groupGetter?.Invoke(ref group);
            double score = readScore?.Invoke() ?? double.NaN;
            var metadata = new EpisodeMetadata
            {
                Key = keyGetter is null ? null : key,
                Split = split,
                Score = double.IsNaN(score) ? null : score,
                GroupId = group == EpisodeColumns.NoGroup ? null : group,
            };

            try
            {
                writer.AppendEpisode(ids, maskBytes.AsSpan(0, bits.Length), weights, metadata);
            }
            catch (ArgumentException e)
            {
                throw new ArgumentException($"SaveEpisodes: {at}: {e.Message}", e);
            }

            rows++;
        }

        return rows;
    }

    private static Func<double> Reader<T>(ValueGetter<T> getter, Func<T, double> convert) => () =>
    {
        T value = default!;
        getter(ref value);
        return convert(value);
    };

    private static ReadOnlySpan<T> Dense<T>(VBuffer<T> buffer) => buffer.IsDense ? buffer.GetValues() : buffer.DenseValues().ToArray();

    private static DataViewSchema.Column? Optional(DataViewSchema schema, ColumnRequirement requirement) =>
        requirement.IsIn(schema) ? requirement.Check(schema) : null;

    private static int? AnnotationInt(DataViewSchema.Annotations annotations, string kind)
    {
        if (annotations.Schema.GetColumnOrNull(kind) is not { } column || !column.Type.Equals(NumberDataViewType.Int32))
        {
            return null;
        }

        int value = 0;
        annotations.GetValue(kind, ref value);
        return value;
    }

    private static string? AnnotationText(DataViewSchema.Annotations annotations, string kind)
    {
        if (annotations.Schema.GetColumnOrNull(kind) is not { } column || column.Type is not TextDataViewType)
        {
            return null;
        }

        ReadOnlyMemory<char> value = default;
        annotations.GetValue(kind, ref value);
        return value.ToString();
    }

    private int MaxId()
    {
        int max = 0;
        using var cursor = _data.GetRowCursor([_tokens]);
        var getter = cursor.GetGetter<VBuffer<int>>(_tokens);
        VBuffer<int> tokens = default;
        while (cursor.MoveNext())
        {
            getter(ref tokens);
            foreach (int id in Dense(tokens))
            {
                max = Math.Max(max, id);
            }
        }

        return max;
    }
}
