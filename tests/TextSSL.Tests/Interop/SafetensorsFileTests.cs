using TextSSL.Interop;
using TextSSL.Runtime;
using static TorchSharp.torch;

namespace TextSSL.Tests.Interop;

public class SafetensorsFileTests
{
    private string _dir = null!;

    [OneTimeSetUp]
    public void SetUp() => TorchRuntime.EnsureLoaded();

    [SetUp]
    public void MakeDirectory() => _dir = Directory.CreateTempSubdirectory("textssl-st-").FullName;

    [TearDown]
    public void RemoveDirectory() => Directory.Delete(_dir, recursive: true);

    private string PathOf(string name) => Path.Combine(_dir, name);

    [Test]
    public void Write_then_read_round_trips_fp32_fp16_and_bf16_as_fp32()
    {
        using var a = arange(6, dtype: ScalarType.Float32).reshape(2, 3) / 4;
        using var b = a.to(ScalarType.Float16);
        using var c = a.to(ScalarType.BFloat16);
        var path = PathOf("x.safetensors");
        SafetensorsFile.Write(path, [("a", a), ("b", b), ("c", c)]);
        var header = SafetensorsFile.ReadHeader(path);
        Assert.That(header.Select(e => (e.Name, e.Dtype)), Is.EqualTo(new[] { ("a", "F32"), ("b", "F16"), ("c", "BF16") }));
        var back = SafetensorsFile.Read(path);
        try
        {
            foreach (var name in new[] { "a", "b", "c" })
            {
                Assert.That(back[name].dtype, Is.EqualTo(ScalarType.Float32));
                Assert.That(back[name].shape, Is.EqualTo(new long[] { 2, 3 }));
                Assert.That(back[name].data<float>().ToArray(), Is.EqualTo(a.data<float>().ToArray())); // quarters are exact in all three
            }
        }
        finally { foreach (var t in back.Values) t.Dispose(); }
        // The header length is a multiple of 8, as the format recommends, and the data area holds exactly the three tensors.
        var bytes = File.ReadAllBytes(path);
        var headerLength = (long)BitConverter.ToUInt64(bytes, 0);
        Assert.That(headerLength % 8, Is.Zero);
        Assert.That(bytes.Length - 8 - headerLength, Is.EqualTo(6 * (4 + 2 + 2)));
    }

    [Test]
    public void A_truncated_file_is_refused_naming_it()
    {
        using var a = ones(16);
        var path = PathOf("model.safetensors");
        SafetensorsFile.Write(path, [("a", a)]);
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..^10]);
        Assert.That(() => SafetensorsFile.Read(path), Throws.TypeOf<TextSslException>().With.Message.Contains(path).And.Message.Contains("truncated"));
        File.WriteAllBytes(path, bytes[..5]);
        Assert.That(() => SafetensorsFile.Read(path), Throws.TypeOf<TextSslException>().With.Message.Contains(path).And.Message.Contains("shorter than the 8-byte"));
    }

    [Test]
    public void A_header_longer_than_the_file_is_refused()
    {
        var path = PathOf("h.safetensors");
        InteropFixtures.WriteRaw(path, "{}", 0, claimedHeaderLength: 1 << 20);
        Assert.That(() => SafetensorsFile.ReadHeader(path), Throws.TypeOf<TextSslException>().With.Message.Contains(path).And.Message.Contains("header claims"));
    }

    [Test]
    public void Offsets_past_the_end_are_refused()
    {
        var path = PathOf("o.safetensors");
        InteropFixtures.WriteRaw(path, """{"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}""", 8);
        Assert.That(() => SafetensorsFile.Read(path), Throws.TypeOf<TextSslException>().With.Message.Contains(path).And.Message.Contains("'w'").And.Message.Contains("past its end"));
    }

    [Test]
    public void An_unknown_dtype_is_refused()
    {
        var path = PathOf("d.safetensors");
        InteropFixtures.WriteRaw(path, """{"w":{"dtype":"Q4","shape":[2],"data_offsets":[0,16]}}""", 16);
        Assert.That(() => SafetensorsFile.Read(path), Throws.TypeOf<TextSslException>().With.Message.Contains(path).And.Message.Contains("dtype Q4").And.Message.Contains("F32, F16, BF16"));
    }

    [Test]
    public void Integer_buffers_are_checked_but_left_out()
    {
        var path = PathOf("i.safetensors");
        // an I64 position_ids buffer (as older RoBERTa-family files carry) beside one F32 weight
        InteropFixtures.WriteRaw(path, """{"position_ids":{"dtype":"I64","shape":[2],"data_offsets":[0,16]},"w":{"dtype":"F32","shape":[2],"data_offsets":[16,24]}}""", 24);
        var tensors = SafetensorsFile.Read(path);
        try
        {
            Assert.That(tensors.Keys, Is.EquivalentTo(new[] { "w" }));
            Assert.That(tensors["w"].shape, Is.EqualTo(new long[] { 2 }));
        }
        finally { foreach (var t in tensors.Values) t.Dispose(); }
        // and its span is still checked
        InteropFixtures.WriteRaw(path, """{"position_ids":{"dtype":"I64","shape":[3],"data_offsets":[0,16]}}""", 16);
        Assert.That(() => SafetensorsFile.Read(path), Throws.TypeOf<TextSslException>().With.Message.Contains("'position_ids'").And.Message.Contains("span 16"));
    }

    [Test]
    public void Shape_and_span_must_agree()
    {
        var path = PathOf("s.safetensors");
        InteropFixtures.WriteRaw(path, """{"w":{"dtype":"F16","shape":[3],"data_offsets":[0,8]}}""", 8);
        Assert.That(() => SafetensorsFile.Read(path), Throws.TypeOf<TextSslException>().With.Message.Contains(path).And.Message.Contains("span 8"));
    }

    [Test]
    public void Overlapping_tensors_are_refused()
    {
        var path = PathOf("v.safetensors");
        InteropFixtures.WriteRaw(path, """{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}""", 12);
        Assert.That(() => SafetensorsFile.Read(path), Throws.TypeOf<TextSslException>().With.Message.Contains(path).And.Message.Contains("overlap"));
    }

    [Test]
    public void A_header_that_is_not_json_is_refused()
    {
        var path = PathOf("j.safetensors");
        InteropFixtures.WriteRaw(path, "{not json", 0);
        Assert.That(() => SafetensorsFile.Read(path), Throws.TypeOf<TextSslException>().With.Message.Contains(path).And.Message.Contains("not valid JSON"));
    }

    [Test]
    public void A_missing_file_is_named()
    {
        var path = PathOf("absent.safetensors");
        Assert.That(() => SafetensorsFile.Read(path), Throws.TypeOf<TextSslException>().With.Message.Contains(path));
    }

    [Test]
    public void Sharded_writes_read_back_and_a_missing_shard_is_named()
    {
        using var a = ones(64);
        using var b = full(64, 2f);
        using var c = full(8, 3f);
        var files = HuggingFaceWeights.WriteSharded(_dir, [("a", a), ("b", b), ("c", c)], maxShardBytes: 300);
        Assert.That(files, Is.EqualTo(new[] { "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors", HuggingFaceWeights.IndexFile }));
        var back = HuggingFaceWeights.Read(_dir);
        Assert.That(back.Keys.Order(), Is.EqualTo(new[] { "a", "b", "c" }));
        Assert.That(back["b"].sum().item<float>(), Is.EqualTo(128f));
        foreach (var t in back.Values) t.Dispose();
        File.Delete(Path.Combine(_dir, files[1]));
        Assert.That(() => HuggingFaceWeights.Read(_dir), Throws.TypeOf<TextSslException>()
            .With.Message.Contains(HuggingFaceWeights.IndexFile).And.Message.Contains(files[1]).And.Message.Contains("missing"));
    }

    [Test]
    public void A_directory_without_weights_names_both_expected_files()
    {
        Assert.That(() => HuggingFaceWeights.Read(_dir), Throws.TypeOf<TextSslException>()
            .With.Message.Contains("model.safetensors").And.Message.Contains("model.safetensors.index.json"));
    }
}
