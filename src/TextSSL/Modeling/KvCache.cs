using static TorchSharp.torch;

namespace TextSSL.Modeling;

/// <summary>
/// Keys and values of every layer for the positions processed so far, so that a decoder can process one new
/// position per step instead of the whole context. Owned by the caller; dispose it when generation ends.
/// </summary>
public sealed class KvCache : IDisposable
{
    private readonly Tensor?[] _keys;
    private readonly Tensor?[] _values;

    /// <summary>Creates an empty cache for a model with <paramref name="layers"/> blocks.</summary>
    public KvCache(int layers)
    {
        _keys = new Tensor?[layers];
        _values = new Tensor?[layers];
    }

    /// <summary>Number of positions held (the position index of the next token).</summary>
    public int Length { get; private set; }

    /// <summary>Appends this step's keys and values of one layer and returns the full ones (B, H, Length+T, D).</summary>
    internal (Tensor Keys, Tensor Values) Append(int layer, Tensor k, Tensor v)
    {
        var oldK = _keys[layer];
        var oldV = _values[layer];
        var newK = oldK is null ? k.alias() : cat([oldK, k], 2);
        var newV = oldV is null ? v.alias() : cat([oldV, v], 2);
        newK.DetachFromDisposeScope();
        newV.DetachFromDisposeScope();
        oldK?.Dispose();
        oldV?.Dispose();
        _keys[layer] = newK;
        _values[layer] = newV;
        return (newK, newV);
    }

    /// <summary>Called by the model once all layers have appended a step of <paramref name="tokens"/> positions.</summary>
    internal void Advance(int tokens) => Length += tokens;

    /// <summary>Empties the cache.</summary>
    public void Clear()
    {
        for (var i = 0; i < _keys.Length; i++)
        {
            _keys[i]?.Dispose(); _keys[i] = null;
            _values[i]?.Dispose(); _values[i] = null;
        }
        Length = 0;
    }

    /// <summary>Keeps only the rows of the batch listed in <paramref name="rows"/> (for dropping finished sequences).</summary>
    public void SelectRows(Tensor rows)
    {
        for (var i = 0; i < _keys.Length; i++)
        {
            if (_keys[i] is null) continue;
            var k = _keys[i]!.index_select(0, rows); k.DetachFromDisposeScope();
            var v = _values[i]!.index_select(0, rows); v.DetachFromDisposeScope();
            _keys[i]!.Dispose(); _values[i]!.Dispose();
            _keys[i] = k; _values[i] = v;
        }
    }

    /// <inheritdoc/>
    public void Dispose() => Clear();
}
