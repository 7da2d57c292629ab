using TextSSL.Generation;
using TextSSL.Tokenization;

namespace TextSSL.Tests.Generation;

public class StopSequenceFilterTests
{
    private static readonly CharTokenizer Chars = CharTokenizer.Train("abENxD tailc\n\uFFFDé", []);

    /// <summary>Feeds <paramref name="more"/> one character (token) at a time; returns what the last update released.</summary>
    private static (string Released, bool Stopped) Feed(IncrementalDecoder decoder, StopSequenceFilter filter, string more)
    {
        (string, bool) last = ("", false);
        var released = "";
        foreach (var c in more)
        {
            decoder.Add(Chars.Encode(c.ToString())[0]);
            last = filter.Update();
            released += last.Item1;
            if (last.Item2) break;
        }
        return (released, last.Item2);
    }

    [Test]
    public void Text_that_may_begin_a_stop_string_is_held_until_it_cannot()
    {
        var d = new IncrementalDecoder(Chars);
        var f = new StopSequenceFilter(d, ["END"]);
        Assert.That(Feed(d, f, "ab").Released, Is.EqualTo("ab"));
        Assert.That(Feed(d, f, "E").Released, Is.EqualTo(""));
        Assert.That(Feed(d, f, "N").Released, Is.EqualTo(""));
        Assert.That(Feed(d, f, "x").Released, Is.EqualTo("ENx"), "a false alarm releases the held text");
        var (released, stopped) = Feed(d, f, "END tail");
        Assert.That((released, stopped), Is.EqualTo(("", true)));
        Assert.That(f.Text, Is.EqualTo("abENx"));
        Assert.That(f.StoppedBy, Is.EqualTo("END"));
    }

    [Test]
    public void The_earliest_of_several_stop_strings_wins()
    {
        var d = new IncrementalDecoder(Chars);
        var f = new StopSequenceFilter(d, ["\n\n", "cat"]);
        Assert.That(Feed(d, f, "a cat\n\n").Stopped, Is.True);
        Assert.That(f.Text, Is.EqualTo("a "));
        Assert.That(f.StoppedBy, Is.EqualTo("cat"));
    }

    [Test]
    public void A_trailing_replacement_character_is_held_back_until_more_text_follows()
    {
        var d = new IncrementalDecoder(Chars);
        var f = new StopSequenceFilter(d, []);
        Assert.That(Feed(d, f, "ca\uFFFD").Released, Is.EqualTo("ca"));
        Assert.That(Feed(d, f, "é").Released, Is.EqualTo("\uFFFDé"));
        Assert.That(f.Flush(), Is.EqualTo(""));
    }
}
