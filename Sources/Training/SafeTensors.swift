import DurableFiles
import Foundation

/// The safetensors format: an 8-byte little-endian header length, a JSON header
/// (`{"name": {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {...}}`),
/// then the raw little-endian data. Only float32 tensors are written and read here.
public enum SafeTensors {
    public struct Tensor: Sendable, Equatable {
        public var shape: [Int]
        public var values: [Float]
        public init(shape: [Int], values: [Float]) {
            precondition(shape.reduce(1, *) == values.count, "shape does not match the value count")
            self.shape = shape
            self.values = values
        }
    }

    /// Writes `tensors` to `url` durably (`DurableFile`: a temporary synced and renamed into place).
    /// Tensors are laid out in name order; `metadata` goes under `__metadata__`.
    public static func write(_ tensors: [String: Tensor], metadata: [String: String] = ["format": "pt"], to url: URL) throws {
        var header: [String: Any] = ["__metadata__": metadata]
        var offset = 0
        let names = tensors.keys.sorted()
        for name in names {
            let t = tensors[name]!
            let bytes = t.values.count * 4
            header[name] = ["dtype": "F32", "shape": t.shape, "data_offsets": [offset, offset + bytes]] as [String: Any]
            offset += bytes
        }
        var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        // Pad the header with spaces so the data starts 8-byte aligned (as the reference writer does).
        while (8 + json.count) % 8 != 0 { json.append(0x20) }
        var out = Data(capacity: 8 + json.count + offset)
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(json)
        for name in names {
            tensors[name]!.values.withUnsafeBufferPointer { out.append(UnsafeBufferPointer(start: UnsafeRawPointer($0.baseAddress!).assumingMemoryBound(to: UInt8.self), count: $0.count * 4)) }
        }
        try DurableFile.write(out, to: url)
    }

    /// The header of `url`: tensor names → (dtype, shape, offsets), and the metadata.
    public static func header(of url: URL) throws -> (entries: [String: (dtype: String, shape: [Int], offsets: [Int])], metadata: [String: String], dataStart: Int) {
        let data = try Data(contentsOf: url, options: .alwaysMapped)
        return try parseHeader(data, path: url.path)
    }

    /// Reads every float32 tensor of `url`.
    public static func read(_ url: URL) throws -> [String: Tensor] {
        let data = try Data(contentsOf: url, options: .alwaysMapped)
        let (entries, _, start) = try parseHeader(data, path: url.path)
        var out: [String: Tensor] = [:]
        for (name, e) in entries {
            guard e.dtype == "F32" else { throw TrainingError.badCheckpoint("\(url.path): tensor \(name) is \(e.dtype); BlockLab reads F32 only") }
            let count = (e.offsets[1] - e.offsets[0]) / 4
            guard count == e.shape.reduce(1, *), start + e.offsets[1] <= data.count else {
                throw TrainingError.badCheckpoint("\(url.path): tensor \(name) has inconsistent offsets")
            }
            var values = [Float](repeating: 0, count: count)
            values.withUnsafeMutableBytes { dst in
                data.withUnsafeBytes { src in
                    dst.copyMemory(from: UnsafeRawBufferPointer(rebasing: src[(start + e.offsets[0])..<(start + e.offsets[1])]))
                }
            }
            out[name] = Tensor(shape: e.shape, values: values)
        }
        return out
    }

    static func parseHeader(_ data: Data, path: String) throws -> (entries: [String: (dtype: String, shape: [Int], offsets: [Int])], metadata: [String: String], dataStart: Int) {
        guard data.count >= 8 else { throw TrainingError.badCheckpoint("\(path) is too short to be a safetensors file") }
        let length = Int(data.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }.littleEndian)
        guard length > 0, 8 + length <= data.count,
              let object = try JSONSerialization.jsonObject(with: data.subdata(in: 8..<(8 + length))) as? [String: Any] else {
            throw TrainingError.badCheckpoint("\(path): the safetensors header is not a JSON object")
        }
        var entries: [String: (dtype: String, shape: [Int], offsets: [Int])] = [:]
        var metadata: [String: String] = [:]
        for (key, value) in object {
            if key == "__metadata__" { metadata = value as? [String: String] ?? [:]; continue }
            guard let e = value as? [String: Any], let dtype = e["dtype"] as? String,
                  let shape = e["shape"] as? [Int], let offsets = e["data_offsets"] as? [Int], offsets.count == 2 else {
                throw TrainingError.badCheckpoint("\(path): header entry \(key) lacks dtype, shape or data_offsets")
            }
            entries[key] = (dtype, shape, offsets)
        }
        return (entries, metadata, 8 + length)
    }
}
