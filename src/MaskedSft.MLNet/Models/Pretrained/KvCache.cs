// The key/value cache of incremental decoding: per layer preallocated (B, Hkv, capacity, D) keys and values, which slots
// hold real tokens, and each row's next position.
using MaskedSft.Torch;

namespace MaskedSft.MLNet.Models.Pretrained;

/// <summary>
/// Keys and values of the tokens a model has already seen, so that each new token costs one position of compute. Every
/// row has the same number of slots (<see cref="Length"/>); padding slots (left-padded prompts, rows that finished) are
/// remembered and never attended to. Create it with <see cref="IKvCacheCausalLm.CreateKvCache"/>, pass it to
/// <see cref="IKvCacheCausalLm.ForwardHidden(CausalLmInput, KvCache)"/> for the prompt and then for each new token.
/// The cache owns its tensors (dispose it); forward passes through it record no gradients.
/// </summary>
public sealed class KvCache : IDisposable
{
    private readonly Tensor[] _keys;     // per layer (B, Hkv, capacity, D)
    private readonly Tensor[] _values;   // per layer (B, Hkv, capacity, D)
    private Tensor _slotValid;           // (B, capacity) bool: a real token sits in the slot
    private Tensor _nextPosition;        // (B) int64: the position id of each row's next real token
    private bool _hasPadding;
    private int _pending;

    /// <summary>Allocates an empty cache.</summary>
    /// <param name="layers">Number of decoder layers.</param>
    /// <param name="batchSize">Rows B.</param>
    /// <param name="keyValueHeads">Key/value heads per layer.</param>
    /// <param name="headDim">Width of a head.</param>
    /// <param name="capacity">Most slots (prompt + new tokens).</param>
    /// <param name="dtype">The model's compute dtype.</param>
    /// <param name="device">The model's device.</param>
    /// <exception cref="ArgumentOutOfRangeException">A size is not positive.</exception>
    public KvCache(int layers, int batchSize, int keyValueHeads, int headDim, int capacity, ScalarType dtype, Device device)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(layers);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(keyValueHeads);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(headDim);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        BatchSize = batchSize;
        Capacity = capacity;
        DType = dtype;
        Device = device;
        _keys = new Tensor[layers];
        _values = new Tensor[layers];
        using var scope = new DisposeScope();
        for (var i = 0; i < layers; i++)
        {
            _keys[i] = TorchOps.Zeros([batchSize, keyValueHeads, capacity, headDim], dtype, device).DetachFromDisposeScope();
            _values[i] = TorchOps.Zeros([batchSize, keyValueHeads, capacity, headDim], dtype, device).DetachFromDisposeScope();
        }

        _slotValid = TorchOps.Zeros([batchSize, capacity], ScalarType.Bool, device).DetachFromDisposeScope();
        _nextPosition = TorchOps.Zeros([batchSize], ScalarType.Int64, device).DetachFromDisposeScope();
    }

    /// <summary>Rows B.</summary>
    public int BatchSize { get; }

    /// <summary>Most slots the cache holds.</summary>
    public int Capacity { get; }

    /// <summary>Slots filled so far (the same in every row).</summary>
    public int Length { get; private set; }

    /// <summary>Number of layers.</summary>
    public int Layers => _keys.Length;

    /// <summary>The dtype of keys and values.</summary>
    public ScalarType DType { get; }

    /// <summary>The device of keys and values.</summary>
    public Device Device { get; }

    /// <summary>(B) int64 the position id each row's next real token gets (its count of real tokens so far); a view the
    /// cache owns and updates.</summary>
    public Tensor NextPositions => _nextPosition;

    /// <summary>(B, <see cref="Length"/>) bool: which filled slots hold real tokens (a new view of the current scope).</summary>
    /// <returns>The view.</returns>
    public Tensor FilledSlotsValid() => _slotValid.Narrow(1, 0, Length);

    /// <summary>Empties the cache (the memory is kept).</summary>
    public void Reset()
    {
        Length = 0;
        _pending = 0;
        _hasPadding = false;
        using var noGrad = new NoGradScope();
        _slotValid.Zero();
        _nextPosition.Zero();
    }

    /// <summary>Frees the keys and values.</summary>
    public void Dispose()
    {
        foreach (var t in _keys) t?.Dispose();
        foreach (var t in _values) t?.Dispose();
        _slotValid.Dispose();
        _nextPosition.Dispose();
    }

    /// <summary>Starts a forward pass of <paramref name="length"/> new tokens: checks room, returns what the mask needs.</summary>
    /// <returns>(B, Length) bool of the filled slots when some are padding, else null; and the slots already filled.</returns>
    internal (Tensor? CachedSlotsValid, int Past) Begin(int length, int batch)
    {
        if (batch != BatchSize)
            throw new ArgumentException($"the input has {batch} rows but the KV cache was made for {BatchSize}. Hint: create one cache per batch.");
        if (Length + length > Capacity)
        {
            throw new ArgumentException($"the KV cache holds {Capacity} slots; {Length} are filled and {length} more were given. " +
                "Hint: create the cache with capacity = longest prompt + max new tokens.");
        }

        _pending = length;
        return (_hasPadding && Length > 0 ? FilledSlotsValid() : null, Length);
    }

    /// <summary>Writes layer <paramref name="layer"/>'s new keys and values (B, Hkv, T, D) into the pending slots and
    /// returns all of the layer's keys and values so far (B, Hkv, Length + T, D).</summary>
    internal (Tensor Keys, Tensor Values) Append(int layer, Tensor keys, Tensor values)
    {
        _keys[layer].Narrow(2, Length, _pending).CopyFrom(keys);
        _values[layer].Narrow(2, Length, _pending).CopyFrom(values);
        return (_keys[layer].Narrow(2, 0, Length + _pending), _values[layer].Narrow(2, 0, Length + _pending));
    }

    /// <summary>Ends the pass: marks the new slots (real where <paramref name="attentionMask"/> is non-zero) and moves
    /// each row's next position past its real new tokens.</summary>
    internal void Commit(Tensor? attentionMask)
    {
        var t = _pending;
        var slots = _slotValid.Narrow(1, Length, t);                                                     // (B, T)
        if (attentionMask is null)
        {
            slots.Fill(1.0);
            _nextPosition.CopyFrom(_nextPosition.Add((long)t));
        }
        else
        {
            var valid = attentionMask.To(Device).Ne(0L);                                                 // (B, T)
            slots.CopyFrom(valid);
            _nextPosition.CopyFrom(_nextPosition.Add(valid.Sum(1, dtype: ScalarType.Int64)));
            _hasPadding = true;
        }

        Length += t;
        _pending = 0;
    }

    /// <summary>Default position ids of the pending tokens: each row continues from its next position, counting only real
    /// tokens (padding gets the position of the next real token; it is never attended).</summary>
    internal Tensor PendingPositions(Tensor? attentionMask, int length)
    {
        var start = _nextPosition.Unsqueeze(1);                                                          // (B, 1)
        if (attentionMask is null) return start.Add(TorchOps.Arange(length, Device).Unsqueeze(0));       // (B, T)
        var real = attentionMask.To(Device, ScalarType.Int64).Ne(0L).To(ScalarType.Int64);               // (B, T)
        return start.Add(real.Cumsum(1).Sub(real));                                                      // (B, T)
    }
}
