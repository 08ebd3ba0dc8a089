import Foundation
import TrainingPlan
import Torch

/// Autoregressive generation: the whole (cropped) context each step, no key/value cache,
/// which keeps the C API small; fine for the sizes trained here.
public enum Generator {
    public static func generate(model: GPTModel, prompt: [Int], options: SamplingOptions) throws -> [Int] {
        precondition(!prompt.isEmpty, "generation needs at least one prompt token")
        try model.setTraining(false)
        var rng = SeededGenerator(seed: options.seed)
        var context = prompt.map(Int64.init)
        var generated: [Int] = []
        let V = model.config.vocabSize
        for _ in 0..<options.maxTokens {
            let window = Array(context.suffix(model.config.nPositions))
            let logits = try model.logits(tokens: window, batch: 1, time: window.count)
            let last = Array(logits[((window.count - 1) * V)..<(window.count * V)])
            let next = sample(last, options: options, using: &rng)
            generated.append(next)
            context.append(Int64(next))
            if next == options.stopTokenID { break }
        }
        return generated
    }

    /// The tokens `sample` may draw from `logits` and their probabilities (summing to 1),
    /// most likely first: softmax(logits / temperature), restricted to the top k, then to the
    /// smallest set whose probability reaches top p (Hugging Face's temperature, top-k and
    /// top-p warpers, in that order). At temperature 0: the most likely token alone.
    static func distribution(_ logits: [Float], options: SamplingOptions) -> [(token: Int, probability: Double)] {
        if options.temperature <= 0 { return [(logits.indices.max { logits[$0] < logits[$1] }!, 1)] }
        var order = logits.indices.sorted { logits[$0] > logits[$1] }
        if let k = options.topK, k > 0 { order = Array(order.prefix(k)) }
        let top = Double(logits[order[0]])
        var probs = order.map { exp((Double(logits[$0]) - top) / options.temperature) }
        var total = probs.reduce(0, +)
        probs = probs.map { $0 / total }
        if let p = options.topP, p < 1 {
            var cumulative = 0.0, keep = 0
            while keep < probs.count { cumulative += probs[keep]; keep += 1; if cumulative >= p { break } }
            order = Array(order.prefix(keep))
            total = probs.prefix(keep).reduce(0, +)
            probs = probs.prefix(keep).map { $0 / total }
        }
        return Array(zip(order, probs))
    }

    /// One token drawn from `distribution(logits, options)` with `rng`.
    static func sample(_ logits: [Float], options: SamplingOptions, using rng: inout SeededGenerator) -> Int {
        let candidates = distribution(logits, options: options)
        if candidates.count == 1 { return candidates[0].token }
        let draw = Double.random(in: 0..<candidates.reduce(0) { $0 + $1.probability }, using: &rng)
        var acc = 0.0
        for c in candidates { acc += c.probability; if draw < acc { return c.token } }
        return candidates[candidates.count - 1].token
    }
}
