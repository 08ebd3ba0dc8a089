/// The version of BlockLab recorded with every run.
public enum BlockLabVersion {
    public static let string = "0.1.0"
}
