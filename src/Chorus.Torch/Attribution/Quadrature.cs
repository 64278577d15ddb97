namespace Chorus.Torch.Attribution;

/// <summary>How Integrated Gradients approximates the path integral (Captum's <c>method</c>).</summary>
public enum IntegrationRule
{
    /// <summary>Gauss–Legendre quadrature (Captum's default, <c>gausslegendre</c>).</summary>
    GaussLegendre,

    /// <summary><c>riemann_left</c>: α = linspace(0, 1 − 1/n, n), step 1/n.</summary>
    RiemannLeft,

    /// <summary><c>riemann_right</c>: α = linspace(1/n, 1, n), step 1/n.</summary>
    RiemannRight,

    /// <summary><c>riemann_middle</c>: α = linspace(1/(2n), 1 − 1/(2n), n), step 1/n.</summary>
    RiemannMiddle,

    /// <summary><c>riemann_trapezoid</c>: α = linspace(0, 1, n), steps 1/n with the first and last halved.</summary>
    RiemannTrapezoid,
}

/// <summary>
/// Step sizes and α of the integration rules, exactly as Captum's <c>approximation_methods.py</c> builds them
/// (in double precision; Captum then multiplies gradients by the step sizes in float32).
/// </summary>
public static class Quadrature
{
    /// <summary>The CLI spelling of a rule (Captum's method string).</summary>
    public static string Name(IntegrationRule rule) => rule switch
    {
        IntegrationRule.GaussLegendre => "gausslegendre",
        IntegrationRule.RiemannLeft => "riemann_left",
        IntegrationRule.RiemannRight => "riemann_right",
        IntegrationRule.RiemannMiddle => "riemann_middle",
        IntegrationRule.RiemannTrapezoid => "riemann_trapezoid",
        _ => throw new ArgumentOutOfRangeException(nameof(rule)),
    };

    /// <summary>Parses Captum's method string (<c>gausslegendre</c>, <c>riemann_trapezoid</c>, …; '-' accepted for '_').</summary>
    public static IntegrationRule Parse(string method)
    {
        ArgumentNullException.ThrowIfNull(method);
        var m = method.Trim().ToLowerInvariant().Replace('-', '_');
        foreach (var rule in Enum.GetValues<IntegrationRule>())
        {
            if (Name(rule) == m)
            {
                return rule;
            }
        }

        throw new ArgumentException($"Unknown integration method '{method}'.", nameof(method));
    }

    /// <summary>The smallest step count a rule accepts (Captum asserts n &gt; 1 for Riemann rules, n &gt; 0 for Gauss–Legendre).</summary>
    public static int MinimumSteps(IntegrationRule rule) => rule == IntegrationRule.GaussLegendre ? 1 : 2;

    /// <summary>Captum's <c>(step_sizes(n), alphas(n))</c> for <paramref name="rule"/>.</summary>
    public static (double[] StepSizes, double[] Alphas) StepSizesAndAlphas(IntegrationRule rule, int n)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(n, MinimumSteps(rule));
        if (rule == IntegrationRule.GaussLegendre)
        {
            var (nodes, weights) = GaussLegendre(n);
            var steps = new double[n];
            var alphas = new double[n];
            for (var i = 0; i < n; i++)
            {
                steps[i] = 0.5 * weights[i];
                alphas[i] = 0.5 * (1 + nodes[i]);
            }

            return (steps, alphas);
        }

        var deltas = Enumerable.Repeat(1.0 / n, n).ToArray();
        if (rule == IntegrationRule.RiemannTrapezoid)
        {
            deltas[0] /= 2;
            deltas[^1] /= 2;
        }

        var a = rule switch
        {
            IntegrationRule.RiemannTrapezoid => Linspace(0, 1, n),
            IntegrationRule.RiemannLeft => Linspace(0, 1 - (1.0 / n), n),
            IntegrationRule.RiemannMiddle => Linspace(1.0 / (2 * n), 1 - (1.0 / (2 * n)), n),
            _ => Linspace(1.0 / n, 1, n),
        };
        return (deltas, a);
    }

    /// <summary>
    /// Gauss–Legendre nodes (ascending, in [−1, 1]) and weights (summing to 2), as <c>numpy.polynomial.legendre.leggauss(n)</c>:
    /// roots of P_n refined by Newton's method in double precision, weights 2 / ((1 − x²) P_n'(x)²), then
    /// symmetrised and rescaled to sum 2 the way numpy does.
    /// </summary>
    public static (double[] Nodes, double[] Weights) GaussLegendre(int n)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(n, 1);
        var x = new double[n];
        var w = new double[n];
        for (var i = 0; i < n; i++)
        {
            // Initial guess (Tricomi): the i-th largest root; stored ascending.
            var z = Math.Cos(Math.PI * (i + 0.75) / (n + 0.5));
            for (var iter = 0; iter < 100; iter++)
            {
                var (p, dp) = Legendre(n, z);
                var dz = p / dp;
                z -= dz;
                if (Math.Abs(dz) <= 1e-16)
                {
                    break;
                }
            }

            var (_, d) = Legendre(n, z);
            x[n - 1 - i] = z;
            w[n - 1 - i] = 2.0 / ((1 - (z * z)) * d * d);
        }

        // numpy: w = (w + w[::-1]) / 2; x = (x - x[::-1]) / 2; w *= 2 / w.sum()
        var xs = new double[n];
        var ws = new double[n];
        for (var i = 0; i < n; i++)
        {
            xs[i] = (x[i] - x[n - 1 - i]) / 2;
            ws[i] = (w[i] + w[n - 1 - i]) / 2;
        }

        var sum = ws.Sum();
        for (var i = 0; i < n; i++)
        {
            ws[i] *= 2.0 / sum;
        }

        return (xs, ws);
    }

    /// <summary>numpy.linspace(start, stop, n): start + i·step, last element exactly <paramref name="stop"/>.</summary>
    internal static double[] Linspace(double start, double stop, int n)
    {
        var y = new double[n];
        var step = (stop - start) / (n - 1);
        for (var i = 0; i < n; i++)
        {
            y[i] = (i * step) + start;
        }

        y[^1] = stop;
        return y;
    }

    /// <summary>P_n(z) and P_n'(z) by the three-term recurrence.</summary>
    private static (double P, double Dp) Legendre(int n, double z)
    {
        double p0 = 1, p1 = z;
        if (n == 0)
        {
            return (1, 0);
        }

        for (var k = 2; k <= n; k++)
        {
            var p2 = (((2 * k) - 1) * z * p1 - ((k - 1) * p0)) / k;
            p0 = p1;
            p1 = p2;
        }

        var dp = n * ((z * p1) - p0) / ((z * z) - 1);
        return (p1, dp);
    }
}
