// The cursor of an EpisodeDataView: walks rows in order (or a shuffled order) and copies an episode's values on demand.
using MaskedSft.MLNet.Data;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace MaskedSft.MLNet.Pipelines;

/// <summary>A cursor over an <see cref="EpisodeDataView"/>; owns its mapping of the dataset until disposed.</summary>
internal sealed class EpisodeRowCursor : DataViewRowCursor
{
    private readonly EpisodeDataView _view;
    private readonly EpisodeDataset _dataset;
    private readonly int[] _order;
    private readonly bool[] _active;
    private long _position = -1;
    private EpisodeInfo _episode;
    private bool _disposed;

    public EpisodeRowCursor(EpisodeDataView view, EpisodeDataset dataset, int[] order, bool[] active)
    {
        _view = view;
        _dataset = dataset;
        _order = order;
        _active = active;
    }

    public override long Position => _position;

    public override long Batch => 0;

    public override DataViewSchema Schema => _view.Schema;

    public override bool MoveNext()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_position + 1 >= _order.Length)
        {
            _position = _order.Length;
            return false;
        }

        _position++;
        _episode = _dataset.GetEpisode(_order[_position]);
        return true;
    }

    public override bool IsColumnActive(DataViewSchema.Column column) => column.Index < _active.Length && _active[column.Index];

    public override ValueGetter<DataViewRowId> GetIdGetter() => (ref DataViewRowId id) =>
    {
        EnsureRow();
        id = new DataViewRowId((ulong)_episode.Index, 0);
    };

    public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
    {
        if (!IsColumnActive(column))
        {
            throw new InvalidOperationException($"The column '{column.Name}' was not requested when the cursor was created. Hint: pass it in columnsNeeded.");
        }

        Delegate getter = column.Name switch
        {
            EpisodeColumns.Tokens => (ValueGetter<VBuffer<int>>)GetTokens,
            EpisodeColumns.LossMask => (ValueGetter<VBuffer<bool>>)GetLossMask,
            EpisodeColumns.Advantages => (ValueGetter<VBuffer<float>>)GetAdvantages,
            EpisodeColumns.Key => (ValueGetter<ulong>)((ref ulong v) => { EnsureRow(); v = _episode.Key; }),
            EpisodeColumns.Score => (ValueGetter<double>)((ref double v) => { EnsureRow(); v = _episode.Score ?? double.NaN; }),
            EpisodeColumns.Group => (ValueGetter<long>)((ref long v) => { EnsureRow(); v = _episode.GroupId ?? EpisodeColumns.NoGroup; }),
            _ => throw new ArgumentOutOfRangeException(nameof(column), column.Name, "Not a column of this episode data view."),
        };

        return getter as ValueGetter<TValue>
            ?? throw new InvalidOperationException($"The column '{column.Name}' holds {column.Type}; it cannot be read as {typeof(TValue).Name}.");
    }

    protected override void Dispose(bool disposing)
    {
        if (!_disposed)
        {
            _disposed = true;
            _dataset.Dispose();
        }

        base.Dispose(disposing);
    }

    private void GetTokens(ref VBuffer<int> value)
    {
        EnsureRow();
        var editor = VBufferEditor.Create(ref value, _episode.Length);
        _dataset.CopyTokens(_episode.TokenOffset, editor.Values);
        value = editor.Commit();
    }

    private void GetLossMask(ref VBuffer<bool> value)
    {
        EnsureRow();
        var mask = _dataset.GetMask(_episode.TokenOffset, _episode.Length);
        var editor = VBufferEditor.Create(ref value, mask.Length);
        for (int i = 0; i < mask.Length; i++)
        {
            editor.Values[i] = mask[i] != 0;
        }

        value = editor.Commit();
    }

    private void GetAdvantages(ref VBuffer<float> value)
    {
        EnsureRow();
        var advantages = _dataset.GetAdvantages(_episode.TokenOffset, _episode.Length);
        var editor = VBufferEditor.Create(ref value, advantages.Length);
        advantages.CopyTo(editor.Values);
        value = editor.Commit();
    }

    private void EnsureRow()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_position < 0 || _position >= _order.Length)
        {
            throw new InvalidOperationException("The cursor is not on a row. Hint: call MoveNext first and read only while it returns true.");
        }
    }
}
