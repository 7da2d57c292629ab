using TorchSharp;
using static TorchSharp.torch;

namespace TextSSL.Training.Optimization;

/// <summary>
/// Multi-tensor kernels that TorchSharp does not bind (<c>torch._fused_adamw_</c>, <c>torch._foreach_*</c>),
/// reached through one TorchScript compilation unit that is compiled once per process.
/// </summary>
/// <remarks>
/// Some TorchScript compile errors abort the whole process instead of throwing, so the source is fixed text,
/// compiled at start-up (<see cref="EnsureCompiled"/>) and covered by a test; nothing is compiled mid-run.
/// A C# <c>Tensor[]</c> arrives in TorchScript as <c>List[Tensor]</c> and in-place updates land in the caller's tensors.
/// </remarks>
internal static class TorchScriptKernels
{
    /// <summary>The TorchScript source of every kernel.</summary>
    /// <remarks>
    /// <c>adamw_step</c> updates two parameter groups (decayed, not decayed) in one call. The fused kernel reads
    /// step counts that are already incremented (with step 0 its bias correction divides the update away), so
    /// the counts are bumped first. <c>clip_grad_norm</c> is three multi-tensor launches instead of several per
    /// gradient, and never reads the norm back to the host: the clamped coefficient is applied even when it is 1.
    /// </remarks>
    public const string Source = """
        def _adamw_group(params: List[Tensor], grads: List[Tensor], exp_avgs: List[Tensor], exp_avg_sqs: List[Tensor],
                         steps: List[Tensor], lr: float, beta1: float, beta2: float, weight_decay: float, eps: float):
            if len(params) > 0:
                torch._foreach_add_(steps, 1.0)
                no_max: List[Tensor] = []
                torch._fused_adamw_(params, grads, exp_avgs, exp_avg_sqs, no_max, steps, lr=lr, beta1=beta1, beta2=beta2,
                                    weight_decay=weight_decay, eps=eps, amsgrad=False, maximize=False,
                                    grad_scale=None, found_inf=None)

        def adamw_step(params_d: List[Tensor], grads_d: List[Tensor], exp_avgs_d: List[Tensor], exp_avg_sqs_d: List[Tensor], steps_d: List[Tensor],
                       params_n: List[Tensor], grads_n: List[Tensor], exp_avgs_n: List[Tensor], exp_avg_sqs_n: List[Tensor], steps_n: List[Tensor],
                       lr: float, beta1: float, beta2: float, weight_decay: float, eps: float):
            _adamw_group(params_d, grads_d, exp_avgs_d, exp_avg_sqs_d, steps_d, lr, beta1, beta2, weight_decay, eps)
            _adamw_group(params_n, grads_n, exp_avgs_n, exp_avg_sqs_n, steps_n, lr, beta1, beta2, 0.0, eps)

        def clip_grad_norm(grads: List[Tensor], max_norm: float, eps: float) -> Tensor:
            norms = torch._foreach_norm(grads, 2.0)
            total = torch.stack(norms).norm()
            coef = torch.clamp((total + eps).reciprocal() * max_norm, max=1.0)
            torch._foreach_mul_(grads, coef)
            return total
        """ + "\n"; // the TorchScript parser wants the last line terminated

    private static readonly Lazy<jit.CompilationUnit> Unit = new(Compile, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>Compiles the kernels if they are not compiled yet; call once at start-up, before any training step.</summary>
    public static void EnsureCompiled() => _ = Unit.Value;

    private static jit.CompilationUnit Compile()
    {
        Runtime.TorchRuntime.EnsureLoaded();
        try
        {
            return jit.compile(Source);
        }
        catch (System.Runtime.InteropServices.ExternalException ex)
        {
            // Reached only for errors libtorch reports instead of aborting; the libtorch version is the usual suspect.
            throw new InvalidOperationException(
                $"TextSSL's TorchScript kernels do not compile on libtorch {__version__}: {ex.Message.Split('\n')[0]}. " +
                "They need torch._fused_adamw_ and torch._foreach_* (libtorch 2.4 or newer).", ex);
        }
    }

    /// <summary>One fused AdamW update of both groups; every list of a group has one entry per parameter.</summary>
    internal static void AdamWStep(Tensor[] paramsD, Tensor[] gradsD, Tensor[] expAvgsD, Tensor[] expAvgSqsD, Tensor[] stepsD,
        Tensor[] paramsN, Tensor[] gradsN, Tensor[] expAvgsN, Tensor[] expAvgSqsN, Tensor[] stepsN,
        Scalar lr, Scalar beta1, Scalar beta2, Scalar weightDecay, Scalar eps) =>
        Unit.Value.invoke("adamw_step", paramsD, gradsD, expAvgsD, expAvgSqsD, stepsD,
            paramsN, gradsN, expAvgsN, expAvgSqsN, stepsN, lr, beta1, beta2, weightDecay, eps);

    /// <summary>Scales <paramref name="grads"/> in place to a joint L2 norm of at most <paramref name="maxNorm"/>; returns the norm before clipping (0-d).</summary>
    internal static Tensor ClipGradNorm(Tensor[] grads, Scalar maxNorm, Scalar eps) =>
        (Tensor)Unit.Value.invoke("clip_grad_norm", grads, maxNorm, eps);
}
