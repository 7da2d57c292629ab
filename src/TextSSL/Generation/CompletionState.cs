using TextSSL.Tokenization;

namespace TextSSL.Generation;

/// <summary>One completion while it is being generated: its tokens, random stream and stop-sequence state.</summary>
internal sealed class CompletionState
{
    private readonly List<int> _generated = [];
    private readonly IncrementalDecoder _text;
    private readonly StopSequenceFilter _filter;
    private FinishReason _reason;

    public CompletionState(int promptIndex, int sampleIndex, string prompt, int[] promptIds, TorchSharp.torch.Generator random, TextTokenizer tokenizer, IReadOnlyList<string> stops)
    {
        PromptIndex = promptIndex;
        SampleIndex = sampleIndex;
        Prompt = prompt;
        PromptTokens = promptIds.Length;
        Context = [.. promptIds];
        Random = random;
        _text = new IncrementalDecoder(tokenizer);
        _filter = new StopSequenceFilter(_text, stops);
    }

    public int PromptIndex { get; }
    public int SampleIndex { get; }
    public string Prompt { get; }
    public int PromptTokens { get; }

    /// <summary>Prompt and generated tokens: what the model conditions on (before windowing).</summary>
    public List<int> Context { get; }

    /// <summary>This completion's own random stream (CPU).</summary>
    public TorchSharp.torch.Generator Random { get; }

    public bool Finished { get; private set; }

    /// <summary>Takes the next token and says what text it releases.</summary>
    public TokenGenerated Accept(int token, int? endOfText, int maxNewTokens)
    {
        _generated.Add(token);
        Context.Add(token);
        string released;
        if (token == endOfText)
        {
            released = _filter.Flush();
            Finish(FinishReason.EndOfText);
        }
        else
        {
            // The decoder keeps characters split across tokens whole; the filter keeps stop strings whole.
            _text.Add(token);
            var (text, stopped) = _filter.Update();
            released = text;
            if (stopped) Finish(FinishReason.Stop);
            else if (_generated.Count >= maxNewTokens)
            {
                released += _filter.Flush();
                Finish(FinishReason.Length);
            }
        }
        return new TokenGenerated(PromptIndex, SampleIndex, token, released, Finished);
    }

    public Completion ToCompletion()
    {
        if (!Finished) Finish(FinishReason.Length);
        return new Completion(PromptIndex, SampleIndex, Prompt, _filter.Text, _generated.ToArray(), PromptTokens, _reason,
            _reason == FinishReason.Stop ? _filter.StoppedBy : null);
    }

    private void Finish(FinishReason reason)
    {
        Finished = true;
        _reason = reason;
    }
}
