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

    /// One token from `logits`: greedy at temperature 0, else softmax(logits / T) restricted
    /// to the top k and to the smallest set whose probability reaches top p.
    static func sample(_ logits: [Float], options: SamplingOptions, using rng: inout SeededGenerator) -> Int {
        if options.temperature <= 0 { return logits.indices.max { logits[$0] < logits[$1] }! }
        var order = logits.indices.sorted { logits[$0] > logits[$1] }
        if let k = options.topK, k > 0 { order = Array(order.prefix(k)) }
        let top = Double(logits[order[0]])
        var probs = order.map { exp((Double(logits[$0]) - top) / options.temperature) }
        let total = probs.reduce(0, +)
        probs = probs.map { $0 / total }
        if let p = options.topP, p < 1 {
            var cumulative = 0.0, keep = 0
            while keep < probs.count { cumulative += probs[keep]; keep += 1; if cumulative >= p { break } }
            order = Array(order.prefix(keep))
            probs = Array(probs.prefix(keep))
        }
        let draw = Double.random(in: 0..<probs.reduce(0, +), using: &rng)
        var acc = 0.0
        for (i, p) in probs.enumerated() { acc += p; if draw < acc { return order[i] } }
        return order[probs.count - 1]
    }
}
