import CTorch

/// A BERT encoder's hyper-parameters, named as Hugging Face's `BertConfig` names them.
public struct BertConfig: Sendable, Equatable, Codable {
    /// The feed-forward activation (`hidden_act`).
    public enum Activation: String, Sendable, Codable, CaseIterable {
        case gelu, geluTanh = "gelu_new", relu
    }

    public var vocabSize: Int
    public var hiddenSize: Int
    public var numHiddenLayers: Int
    public var numAttentionHeads: Int
    public var intermediateSize: Int
    public var maxPositionEmbeddings: Int
    public var typeVocabSize: Int
    public var layerNormEps: Double
    public var hiddenAct: Activation

    public init(vocabSize: Int, hiddenSize: Int, numHiddenLayers: Int, numAttentionHeads: Int, intermediateSize: Int,
                maxPositionEmbeddings: Int = 512, typeVocabSize: Int = 2, layerNormEps: Double = 1e-12,
                hiddenAct: Activation = .gelu) {
        self.vocabSize = vocabSize
        self.hiddenSize = hiddenSize
        self.numHiddenLayers = numHiddenLayers
        self.numAttentionHeads = numAttentionHeads
        self.intermediateSize = intermediateSize
        self.maxPositionEmbeddings = maxPositionEmbeddings
        self.typeVocabSize = typeVocabSize
        self.layerNormEps = layerNormEps
        self.hiddenAct = hiddenAct
    }

    var c: ct_bert_config {
        let act: ct_activation = switch hiddenAct {
        case .gelu: CT_ACTIVATION_GELU
        case .geluTanh: CT_ACTIVATION_GELU_TANH
        case .relu: CT_ACTIVATION_RELU
        }
        return ct_bert_config(vocab_size: Int64(vocabSize), hidden_size: Int64(hiddenSize),
                              num_hidden_layers: Int64(numHiddenLayers), num_attention_heads: Int64(numAttentionHeads),
                              intermediate_size: Int64(intermediateSize), max_position_embeddings: Int64(maxPositionEmbeddings),
                              type_vocab_size: Int64(typeVocabSize), layer_norm_eps: layerNormEps, hidden_act: act)
    }
}

/// How a sentence encoder turns token states into one vector (sentence-transformers' Pooling).
public enum Pooling: String, Sendable, Codable {
    /// The mean over the real tokens ([CLS] and [SEP] included, padding not).
    case mean
    /// The first token's state.
    case cls
}
