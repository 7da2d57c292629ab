namespace TextSSL.Pretext;

/// <summary>How next-token training windows are drawn from the stream.</summary>
public enum WindowOrder
{
    /// <summary>Each window starts at a uniformly random offset (nanoGPT's loader); windows may overlap.</summary>
    Random,
    /// <summary>Epochs over consecutive non-overlapping windows, visited in a fresh seeded order each epoch.</summary>
    Sequential,
}
