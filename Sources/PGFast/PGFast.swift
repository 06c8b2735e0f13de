import CLibPQ

/// The version of PGFast, part of every template key.
public enum PGFastVersion {
    public static let string = "0.1.0"
}
