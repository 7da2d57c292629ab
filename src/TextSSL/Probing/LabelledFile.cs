namespace TextSSL.Probing;

/// <summary>Which columns of a labelled file hold what.</summary>
/// <param name="Text">The text column.</param>
/// <param name="Label">The label column.</param>
/// <param name="Split">The column naming each row's split (<c>train</c>/<c>test</c>); used only when the file has it.</param>
public sealed record LabelledColumns(string Text = "text", string Label = "label", string Split = "split");

/// <summary>One row read from a labelled file.</summary>
/// <param name="Example">The example, with its id.</param>
/// <param name="Split">The row's split value, lower-cased, or null when the file has no split column.</param>
internal sealed record LabelledRow(LabelledExample Example, string? Split);

/// <summary>The rows of a labelled file, and what was skipped.</summary>
/// <param name="Path">The file.</param>
/// <param name="Rows">Rows with a non-empty text and label, in file order.</param>
/// <param name="HasSplitColumn">Whether the file has the split column.</param>
/// <param name="EmptyText">Rows skipped because the text was empty or whitespace.</param>
/// <param name="EmptyLabel">Rows skipped because the label was empty.</param>
internal sealed record LabelledFile(string Path, IReadOnlyList<LabelledRow> Rows, bool HasSplitColumn, int EmptyText, int EmptyLabel);
