namespace TextSSL.Probing;

/// <summary>One labelled text.</summary>
/// <param name="Id">A stable id, unique across the training and test sets of one probe (the row number in its file, offset for a separate test file).</param>
/// <param name="Text">The text.</param>
/// <param name="Label">The label, as written in the file.</param>
public sealed record LabelledExample(long Id, string Text, string Label);
