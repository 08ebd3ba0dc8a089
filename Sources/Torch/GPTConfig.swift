import CTorch

/// GPT-2's hyper-parameters, named as Hugging Face's `GPT2Config` names them.
public struct GPTConfig: Sendable, Equatable, Codable {
    public var vocabSize: Int
    public var nPositions: Int
    public var nEmbd: Int
    public var nLayer: Int
    public var nHead: Int
    public var embdPdrop: Double
    public var attnPdrop: Double
    public var residPdrop: Double
    public var layerNormEpsilon: Double
    public var initializerRange: Double

    public init(vocabSize: Int, nPositions: Int, nEmbd: Int, nLayer: Int, nHead: Int,
                dropout: Double = 0.1, layerNormEpsilon: Double = 1e-5, initializerRange: Double = 0.02) {
        self.vocabSize = vocabSize
        self.nPositions = nPositions
        self.nEmbd = nEmbd
        self.nLayer = nLayer
        self.nHead = nHead
        self.embdPdrop = dropout
        self.attnPdrop = dropout
        self.residPdrop = dropout
        self.layerNormEpsilon = layerNormEpsilon
        self.initializerRange = initializerRange
    }

    /// Parameters of the model (embeddings tied, so counted once).
    public var parameterCount: Int {
        let c = nEmbd
        return vocabSize * c + nPositions * c + nLayer * (12 * c * c + 13 * c) + 2 * c
    }

    var c: ct_gpt_config {
        ct_gpt_config(vocab_size: Int64(vocabSize), n_positions: Int64(nPositions), n_embd: Int64(nEmbd),
                      n_layer: Int64(nLayer), n_head: Int64(nHead), embd_pdrop: embdPdrop, attn_pdrop: attnPdrop,
                      resid_pdrop: residPdrop, layer_norm_epsilon: layerNormEpsilon,
                      initializer_range: initializerRange)
    }
}
