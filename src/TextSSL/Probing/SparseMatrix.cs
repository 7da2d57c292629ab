namespace TextSSL.Probing;

/// <summary>
/// A read-only sparse matrix in compressed sparse row (CSR) form: for row <c>i</c>, the entries
/// <c>RowStarts[i] .. RowStarts[i + 1] - 1</c> of <see cref="ColumnIndices"/> and <see cref="Values"/>. Column
/// indices ascend within a row and never repeat. TF-IDF rows hold a few hundred of 20,000 columns, so this is
/// the form the baseline is stored, scaled and fitted in.
/// </summary>
internal sealed class SparseMatrix
{
    private readonly int[] _rowStarts;
    private readonly int[] _columnIndices;
    private readonly float[] _values;

    /// <summary>Wraps CSR arrays (not copied), checking that they describe a valid matrix.</summary>
    /// <param name="rows">Number of rows.</param>
    /// <param name="columns">Number of columns.</param>
    /// <param name="rowStarts">rows + 1 offsets, starting at 0, non-decreasing, ending at the number of stored entries.</param>
    /// <param name="columnIndices">Column of each stored entry, ascending within a row.</param>
    /// <param name="values">Value of each stored entry.</param>
    /// <exception cref="ArgumentException">The arrays do not describe a CSR matrix of that shape.</exception>
    public SparseMatrix(int rows, int columns, int[] rowStarts, int[] columnIndices, float[] values)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfNegative(columns);
        if (rowStarts.Length != rows + 1 || rowStarts[0] != 0)
            throw new ArgumentException($"rowStarts needs {rows + 1} offsets starting at 0.", nameof(rowStarts));
        if (columnIndices.Length != values.Length || rowStarts[rows] != values.Length)
            throw new ArgumentException($"rowStarts ends at {rowStarts[rows]} for {columnIndices.Length} column indices and {values.Length} values.", nameof(values));
        for (var i = 0; i < rows; i++)
        {
            if (rowStarts[i + 1] < rowStarts[i]) throw new ArgumentException($"rowStarts decreases at row {i}.", nameof(rowStarts));
            for (var p = rowStarts[i]; p < rowStarts[i + 1]; p++)
            {
                var c = columnIndices[p];
                if ((uint)c >= (uint)columns || (p > rowStarts[i] && c <= columnIndices[p - 1]))
                    throw new ArgumentException($"row {i}: column indices must ascend within [0, {columns}).", nameof(columnIndices));
            }
        }
        Rows = rows;
        Columns = columns;
        _rowStarts = rowStarts;
        _columnIndices = columnIndices;
        _values = values;
    }

    // Shares the structure of an already checked matrix.
    private SparseMatrix(SparseMatrix structure, float[] values)
    {
        Rows = structure.Rows;
        Columns = structure.Columns;
        _rowStarts = structure._rowStarts;
        _columnIndices = structure._columnIndices;
        _values = values;
    }

    /// <summary>The same rows and columns with other values (the index arrays are shared, not copied).</summary>
    internal SparseMatrix WithValues(float[] values)
    {
        if (values.Length != _values.Length) throw new ArgumentException($"{values.Length} values for {_values.Length} entries.", nameof(values));
        return new SparseMatrix(this, values);
    }

    /// <summary>Number of rows.</summary>
    public int Rows { get; }

    /// <summary>Number of columns.</summary>
    public int Columns { get; }

    /// <summary>Number of stored entries.</summary>
    public int NonZeros => _values.Length;

    /// <summary>Offsets of each row's entries (length <see cref="Rows"/> + 1).</summary>
    public ReadOnlySpan<int> RowStarts => _rowStarts;

    /// <summary>Column of each stored entry.</summary>
    public ReadOnlySpan<int> ColumnIndices => _columnIndices;

    /// <summary>Value of each stored entry.</summary>
    public ReadOnlySpan<float> Values => _values;

    /// <summary>The columns of row <paramref name="row"/>'s entries.</summary>
    public ReadOnlySpan<int> RowColumns(int row) => _columnIndices.AsSpan(_rowStarts[row], _rowStarts[row + 1] - _rowStarts[row]);

    /// <summary>The values of row <paramref name="row"/>'s entries.</summary>
    public ReadOnlySpan<float> RowValues(int row) => _values.AsSpan(_rowStarts[row], _rowStarts[row + 1] - _rowStarts[row]);

    /// <summary>A new matrix of the given rows, in the given order (repeats allowed).</summary>
    public SparseMatrix SelectRows(IReadOnlyList<int> rows)
    {
        var starts = new int[rows.Count + 1];
        for (var i = 0; i < rows.Count; i++)
        {
            var r = rows[i];
            if ((uint)r >= (uint)Rows) throw new ArgumentOutOfRangeException(nameof(rows), $"row {r} is outside [0, {Rows}).");
            starts[i + 1] = checked(starts[i] + _rowStarts[r + 1] - _rowStarts[r]);
        }
        var columns = new int[starts[^1]];
        var values = new float[starts[^1]];
        for (var i = 0; i < rows.Count; i++)
        {
            RowColumns(rows[i]).CopyTo(columns.AsSpan(starts[i]));
            RowValues(rows[i]).CopyTo(values.AsSpan(starts[i]));
        }
        return new SparseMatrix(rows.Count, Columns, starts, columns, values);
    }

    /// <summary>Rows <paramref name="start"/> to <paramref name="end"/> (exclusive) as a new matrix.</summary>
    public SparseMatrix SliceRows(int start, int end)
    {
        if (start < 0 || end > Rows || start > end) throw new ArgumentOutOfRangeException(nameof(start), $"rows {start}..{end} are outside [0, {Rows}].");
        return SelectRows(Enumerable.Range(start, end - start).ToArray());
    }

    /// <summary>The matrix as a dense row-major array (for tests and small matrices only).</summary>
    public float[] ToDense()
    {
        var dense = new float[checked(Rows * Columns)];
        for (var i = 0; i < Rows; i++)
            for (var p = _rowStarts[i]; p < _rowStarts[i + 1]; p++)
                dense[i * Columns + _columnIndices[p]] = _values[p];
        return dense;
    }

    /// <summary>
    /// This matrix with <paramref name="denseColumns"/> more columns on the right, filled from the row-major
    /// (<see cref="Rows"/>, <paramref name="denseColumns"/>) array <paramref name="dense"/>. Every dense value is stored
    /// (zeros too), so the result holds <see cref="NonZeros"/> + rows × <paramref name="denseColumns"/> entries: a few
    /// hundred dense columns beside tens of thousands of sparse ones cost about as much as the sparse part.
    /// </summary>
    public SparseMatrix AppendDenseColumns(ReadOnlySpan<float> dense, int denseColumns)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(denseColumns);
        if (dense.Length != (long)Rows * denseColumns)
            throw new ArgumentException($"{dense.Length} dense values for {Rows} rows × {denseColumns} columns.", nameof(dense));
        var starts = new int[Rows + 1];
        for (var i = 0; i < Rows; i++) starts[i + 1] = checked(starts[i] + _rowStarts[i + 1] - _rowStarts[i] + denseColumns);
        var columns = new int[starts[^1]];
        var values = new float[starts[^1]];
        for (var i = 0; i < Rows; i++)
        {
            var at = starts[i];
            RowColumns(i).CopyTo(columns.AsSpan(at));
            RowValues(i).CopyTo(values.AsSpan(at));
            at += _rowStarts[i + 1] - _rowStarts[i];
            for (var j = 0; j < denseColumns; j++) columns[at + j] = Columns + j;
            dense.Slice(i * denseColumns, denseColumns).CopyTo(values.AsSpan(at));
        }
        return new SparseMatrix(Rows, checked(Columns + denseColumns), starts, columns, values);
    }
}
