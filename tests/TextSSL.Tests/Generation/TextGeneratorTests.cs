using TextSSL.Generation;
using TextSSL.Modeling;
using TextSSL.Runtime;
using TextSSL.Tokenization;

namespace TextSSL.Tests.Generation;

public class TextGeneratorTests
{
    private CharTokenizer _tokenizer = null!;
    private Transformer _model = null!;
    private Transformer _rotary = null!;
    private TextGenerator _generator = null!;

    [OneTimeSetUp]
    public void SetUp()
    {
        TorchRuntime.EnsureLoaded();
        _tokenizer = TinyModels.Tokenizer();
        _model = TinyModels.TrainedDecoder(_tokenizer);
        _rotary = TinyModels.TrainedDecoder(_tokenizer, PositionKind.Rotary);
        _generator = new TextGenerator(_model, _tokenizer);
    }

    [OneTimeTearDown]
    public void TearDown()
    {
        _model.Dispose();
        _rotary.Dispose();
    }

    private static GenerationOptions Sampled(long seed, int tokens = 40) =>
        new() { Temperature = 1.0, Seed = seed, MaxNewTokens = tokens, StopAtEndOfText = false };

    [Test]
    public void The_trained_model_continues_the_pattern_it_saw()
    {
        var text = _generator.Generate("the cat s", GenerationOptions.Greedy with { MaxNewTokens = 12 }).Completions[0].Text;
        Assert.That(text, Does.StartWith("at on the"), "the tiny model did not learn its training text; the other tests would be weak");
    }

    // 70 new tokens after a 9-token prompt cross the 32-position block twice, so the sliding window is exercised too.
    [TestCase(PositionKind.Learned)]
    [TestCase(PositionKind.Rotary)]
    public void Greedy_output_with_and_without_the_kv_cache_is_identical(PositionKind positions)
    {
        var generator = new TextGenerator(positions == PositionKind.Learned ? _model : _rotary, _tokenizer);
        var options = GenerationOptions.Greedy with { MaxNewTokens = 70, StopAtEndOfText = false };
        var cached = generator.Generate("the dog a", options);
        var recomputed = generator.Generate("the dog a", options with { UseKvCache = false });
        Assert.That(cached.Completions[0].TokenIds, Has.Count.EqualTo(70));
        Assert.That(cached.Completions[0].TokenIds, Is.EqualTo(recomputed.Completions[0].TokenIds));
        Assert.That(cached.UsedKvCache && !recomputed.UsedKvCache);
    }

    [Test]
    public void Sampled_output_with_and_without_the_kv_cache_is_identical()
    {
        var cached = _generator.Generate("a cat", Sampled(5, 50));
        var recomputed = _generator.Generate("a cat", Sampled(5, 50) with { UseKvCache = false });
        Assert.That(cached.Completions[0].Text, Is.EqualTo(recomputed.Completions[0].Text));
    }

    [Test]
    public void The_same_seed_gives_the_same_text_and_different_seeds_different_texts()
    {
        var options = Sampled(42) with { Temperature = 1.5 };
        var a = _generator.Generate("the ", options).Completions[0].Text;
        var b = _generator.Generate("the ", options).Completions[0].Text;
        var texts = Enumerable.Range(100, 4).Select(s => _generator.Generate("the ", options with { Seed = s }).Completions[0].Text).Append(a).ToList();
        Assert.That(b, Is.EqualTo(a));
        Assert.That(texts.Distinct().Count(), Is.EqualTo(texts.Count), string.Join(" | ", texts));
    }

    [Test]
    public void Samples_of_one_prompt_differ_and_a_missing_seed_is_reported_for_replay()
    {
        var result = _generator.Generate("the ", Sampled(0) with { Seed = null, NumSamples = 3, Temperature = 1.5 });
        Assert.That(result.Completions.Select(c => c.Text).Distinct().Count(), Is.EqualTo(3));
        var replay = _generator.Generate("the ", Sampled(result.Seed) with { NumSamples = 3, Temperature = 1.5 });
        Assert.That(replay.Completions.Select(c => c.Text), Is.EqualTo(result.Completions.Select(c => c.Text)));
    }

    [Test]
    public async Task Batched_generation_equals_one_by_one_generation()
    {
        string[] prompts = ["the cat", "a dog", "the log", "ate"];       // two share a length, so one batch holds four rows
        var options = Sampled(7, 30) with { NumSamples = 2, StopSequences = [". "] };
        var batched = await _generator.GenerateAsync(prompts, options);
        Assert.That(batched.Completions, Has.Count.EqualTo(8));
        foreach (var c in batched.Completions)
        {
            var alone = _generator.Generate(prompts[c.PromptIndex], options with { NumSamples = 1, SampleOffset = c.SampleIndex }).Completions[0];
            Assert.That(c.Text, Is.EqualTo(alone.Text), $"prompt {c.PromptIndex} sample {c.SampleIndex}");
            Assert.That(c.TokenIds, Is.EqualTo(alone.TokenIds));
            Assert.That(c.Prompt, Is.EqualTo(prompts[c.PromptIndex]));
        }
    }

    [Test]
    public void A_stop_sequence_cuts_the_text_just_before_it_even_when_it_spans_tokens()
    {
        var free = _generator.Generate("the d", Sampled(3, 60)).Completions[0].Text;
        // Every character is its own token, so a three-character stop string taken from the middle of the free
        // text spans three tokens; the stopped text must be exactly the free text up to its first occurrence.
        var stop = free.Substring(20, 3);
        var cut = free.IndexOf(stop, StringComparison.Ordinal);
        var stopped = _generator.Generate("the d", Sampled(3, 60) with { StopSequences = ["zzz-never", stop] }).Completions[0];
        Assert.That(stopped.Text, Is.EqualTo(free[..cut]));
        Assert.That(stopped.FinishReason, Is.EqualTo(FinishReason.Stop));
        Assert.That(stopped.StopSequence, Is.EqualTo(stop));
        Assert.That(stopped.TokenIds, Has.Count.EqualTo(cut + stop.Length), "generation did not end at the token that completed the stop string");
    }

    [Test]
    public async Task Streamed_text_never_shows_a_stop_string_and_adds_up_to_the_final_text()
    {
        var free = _generator.Generate("the c", Sampled(11, 60)).Completions[0].Text;
        var stop = free.Substring(25, 2);
        var pieces = new List<string>();
        var streamed = 0;
        GenerationResult? result = null;
        await foreach (var e in _generator.StreamAsync(["the c"], Sampled(11, 60) with { StopSequences = [stop] }))
        {
            if (e is TokenGenerated t) { pieces.Add(t.Text); streamed++; }
            else if (e is GenerationCompleted done) result = done.Result;
        }
        Assert.That(result, Is.Not.Null);
        var text = result!.Completions[0].Text;
        Assert.That(string.Concat(pieces), Is.EqualTo(text));
        Assert.That(text, Does.Not.Contain(stop));
        Assert.That(streamed, Is.EqualTo(result.GeneratedTokens));
        Assert.That(pieces.Take(pieces.Count - 1).All(p => p.Length <= 1), "a char model released more than one character before the end");
    }

    [Test]
    public void End_of_text_ends_a_completion_and_is_not_part_of_its_text()
    {
        // Tilt the tied embedding row of end-of-text towards the final hidden state after "the": it becomes the argmax.
        var eot = _tokenizer.Specials.IdOf(SpecialTokenRole.EndOfText)!.Value;
        using var model = TinyModels.Untrained(_tokenizer, ModelKind.Decoder);
        model.eval();
        using (TorchSharp.torch.no_grad())
        {
            using var ids = TorchSharp.torch.tensor(_tokenizer.Encode("the").Select(i => (long)i).ToArray(), [1, 3]);
            var states = model.HiddenStates(ids);
            var weight = model.named_parameters().First(p => p.name == "wte.weight").parameter;
            weight[eot].add_(states[^1][0, -1] * 100);
            foreach (var s in states) s.Dispose();
        }
        var c = new TextGenerator(model, _tokenizer).Generate("the", GenerationOptions.Greedy with { MaxNewTokens = 10 }).Completions[0];
        Assert.That(c.FinishReason, Is.EqualTo(FinishReason.EndOfText));
        Assert.That(c.TokenIds, Is.EqualTo(new[] { eot }));
        Assert.That(c.Text, Is.Empty);
    }

    [Test]
    public void A_prompt_longer_than_the_context_is_windowed_and_cache_and_recompute_still_agree()
    {
        var prompt = string.Concat(Enumerable.Repeat(TinyModels.Text, 2));      // 124 tokens, block 32
        var options = GenerationOptions.Greedy with { MaxNewTokens = 40, StopAtEndOfText = false };
        var cached = _generator.Generate(prompt, options);
        var recomputed = _generator.Generate(prompt, options with { UseKvCache = false });
        Assert.That(cached.Completions[0].PromptTokens, Is.EqualTo(prompt.Length));
        Assert.That(cached.Completions[0].TokenIds, Has.Count.EqualTo(40));
        Assert.That(cached.Completions[0].TokenIds, Is.EqualTo(recomputed.Completions[0].TokenIds));
        Assert.That(cached.Completions[0].Text, Does.StartWith("the cat sat"), "the window's last 32 prompt tokens end mid-pattern; the model should carry on");
    }

    [Test]
    public void Counts_and_timings_are_reported()
    {
        var r = _generator.Generate("the", Sampled(1, 25) with { NumSamples = 2 });
        Assert.That(r.GeneratedTokens, Is.EqualTo(50));
        Assert.That(r.PromptTokens, Is.EqualTo(6));
        Assert.That(r.TimeToFirstToken, Is.GreaterThan(TimeSpan.Zero).And.LessThanOrEqualTo(r.Elapsed));
        Assert.That(r.TokensPerSecond, Is.GreaterThan(0));
        Assert.That(r.DecodeTokensPerSecond, Is.GreaterThan(0));
    }

    [Test]
    public void An_empty_prompt_starts_from_end_of_text_when_the_tokenizer_has_it()
    {
        var c = _generator.Generate("", Sampled(2, 10)).Completions[0];
        Assert.That(c.PromptTokens, Is.EqualTo(1));
        Assert.That(c.TokenIds, Has.Count.EqualTo(10));
    }

    [Test]
    public void An_empty_prompt_is_an_error_when_the_tokenizer_has_no_token_to_start_from()
    {
        var bare = CharTokenizer.Train(TinyModels.Text, roles: []);
        using var model = TinyModels.Untrained(bare, ModelKind.Decoder);
        Assert.That(() => new TextGenerator(model, bare).Generate("", GenerationOptions.Greedy),
            Throws.TypeOf<TextSslException>().With.Message.Contains("empty"));
    }

    [Test]
    public void Unknown_characters_are_named_or_replaced_on_request()
    {
        Assert.That(() => _generator.Generate("the Zebra", GenerationOptions.Greedy with { MaxNewTokens = 2 }),
            Throws.TypeOf<TextSslException>().With.Message.Contains("'Z'"));
        var c = _generator.Generate("the Zebra", GenerationOptions.Greedy with { MaxNewTokens = 2, ReplaceUnknownWith = " " }).Completions[0];
        Assert.That(c.PromptTokens, Is.EqualTo("the Zebra".Length));
    }

    // The library names the option by its property (the CLI shows it as its flag: see GenerateCommandTests).
    [TestCase(-0.5, null, null, 1.0, "Temperature")]
    [TestCase(double.NaN, null, null, 1.0, "Temperature")]
    [TestCase(1.0, 0, null, 1.0, "TopK")]
    [TestCase(1.0, null, 0.0, 1.0, "TopP")]
    [TestCase(1.0, null, 1.5, 1.0, "TopP")]
    [TestCase(1.0, null, double.NaN, 1.0, "TopP")]
    [TestCase(1.0, null, null, 0.0, "RepetitionPenalty")]
    [TestCase(1.0, null, null, double.PositiveInfinity, "RepetitionPenalty")]
    public void Invalid_sampling_parameters_are_clear_errors(double temperature, int? topK, double? topP, double penalty, string named)
    {
        var options = new GenerationOptions { Temperature = temperature, TopK = topK, TopP = topP, RepetitionPenalty = penalty };
        Assert.That(() => _generator.Generate("the", options),
            Throws.TypeOf<OptionException>().With.Message.Contains(named).And.Property(nameof(OptionException.Option)).EqualTo(named));
    }

    [TestCase(0)]
    [TestCase(GenerationOptions.MaxNewTokensLimit + 1)]
    public void The_number_of_new_tokens_is_bounded(int tokens) =>
        Assert.That(() => _generator.Generate("the", new GenerationOptions { MaxNewTokens = tokens }),
            Throws.TypeOf<OptionException>().With.Property(nameof(OptionException.Option)).EqualTo(nameof(GenerationOptions.MaxNewTokens)));

    [Test]
    public void A_model_with_nan_weights_is_a_clear_error_greedy_or_sampled()
    {
        using var broken = TinyModels.Untrained(_tokenizer, ModelKind.Decoder);
        using (TorchSharp.torch.no_grad())
            broken.named_parameters().First(p => p.name.Contains("lm_head") || p.name.Contains("wte") || p.name.Contains("embed")).parameter.fill_(double.NaN);
        var generator = new TextGenerator(broken, _tokenizer);
        foreach (var options in new[] { GenerationOptions.Greedy with { MaxNewTokens = 3 }, Sampled(1, tokens: 3), Sampled(1, tokens: 3) with { TopK = 5, TopP = 0.9 } })
            Assert.That(() => generator.Generate("the", options), Throws.TypeOf<TextSslException>().With.Message.Contains("NaN"), $"temperature {options.Temperature}");
    }

    [Test]
    public void An_encoder_cannot_generate()
    {
        using var encoder = TinyModels.Untrained(_tokenizer, ModelKind.Encoder);
        Assert.That(() => new TextGenerator(encoder, _tokenizer), Throws.TypeOf<TextSslException>().With.Message.Contains("encoder"));
    }
}
