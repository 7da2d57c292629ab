using TextSSL.Generation;

namespace TextSSL.Tests.Generation;

public class StopSequenceFilterTests
{
    [Test]
    public void Text_that_may_begin_a_stop_string_is_held_until_it_cannot()
    {
        var f = new StopSequenceFilter(["END"]);
        Assert.That(f.Update("ab").Released, Is.EqualTo("ab"));
        Assert.That(f.Update("abE").Released, Is.EqualTo(""));
        Assert.That(f.Update("abEN").Released, Is.EqualTo(""));
        Assert.That(f.Update("abENx").Released, Is.EqualTo("ENx"), "a false alarm releases the held text");
        var (released, stopped) = f.Update("abENxEND tail");
        Assert.That((released, stopped), Is.EqualTo(("", true)));
        Assert.That(f.Text, Is.EqualTo("abENx"));
        Assert.That(f.StoppedBy, Is.EqualTo("END"));
    }

    [Test]
    public void The_earliest_of_several_stop_strings_wins()
    {
        var f = new StopSequenceFilter(["\n\n", "cat"]);
        Assert.That(f.Update("a cat\n\n").Stopped, Is.True);
        Assert.That(f.Text, Is.EqualTo("a "));
        Assert.That(f.StoppedBy, Is.EqualTo("cat"));
    }

    [Test]
    public void An_incomplete_multi_byte_character_is_held_back()
    {
        var f = new StopSequenceFilter([]);
        Assert.That(f.Update("caf\uFFFD").Released, Is.EqualTo("caf"));
        Assert.That(f.Update("café").Released, Is.EqualTo("é"));
    }
}
