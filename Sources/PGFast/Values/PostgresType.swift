/// A PostgreSQL type, identified by its OID.
///
/// Binds declare their type so the server does not have to guess, and decoders
/// check the column's type before reading its bytes.
///
/// ```swift
/// let rows = try await db.query("SELECT 1::int8")
/// rows.columns[0].type == .int8   // true
/// ```
public struct PostgresType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt32

    public init(rawValue: UInt32) { self.rawValue = rawValue }
    public init(_ oid: UInt32) { self.rawValue = oid }

    /// OID 0: the server infers the type from the statement.
    public static let unspecified = PostgresType(0)
    public static let bool = PostgresType(16)
    public static let bytea = PostgresType(17)
    public static let char = PostgresType(18)
    public static let name = PostgresType(19)
    public static let int8 = PostgresType(20)
    public static let int2 = PostgresType(21)
    public static let int4 = PostgresType(23)
    public static let regproc = PostgresType(24)
    public static let text = PostgresType(25)
    public static let oid = PostgresType(26)
    public static let json = PostgresType(114)
    public static let xml = PostgresType(142)
    public static let jsonArray = PostgresType(199)
    public static let float4 = PostgresType(700)
    public static let float8 = PostgresType(701)
    public static let unknown = PostgresType(705)
    public static let money = PostgresType(790)
    public static let boolArray = PostgresType(1000)
    public static let byteaArray = PostgresType(1001)
    public static let charArray = PostgresType(1002)
    public static let nameArray = PostgresType(1003)
    public static let int2Array = PostgresType(1005)
    public static let int4Array = PostgresType(1007)
    public static let textArray = PostgresType(1009)
    public static let bpcharArray = PostgresType(1014)
    public static let varcharArray = PostgresType(1015)
    public static let int8Array = PostgresType(1016)
    public static let float4Array = PostgresType(1021)
    public static let float8Array = PostgresType(1022)
    public static let bpchar = PostgresType(1042)
    public static let varchar = PostgresType(1043)
    public static let date = PostgresType(1082)
    public static let time = PostgresType(1083)
    public static let timestamp = PostgresType(1114)
    public static let timestampArray = PostgresType(1115)
    public static let dateArray = PostgresType(1182)
    public static let timestamptzArray = PostgresType(1185)
    public static let timestamptz = PostgresType(1184)
    public static let interval = PostgresType(1186)
    public static let numericArray = PostgresType(1231)
    public static let timetz = PostgresType(1266)
    public static let numeric = PostgresType(1700)
    public static let uuid = PostgresType(2950)
    public static let uuidArray = PostgresType(2951)
    public static let jsonb = PostgresType(3802)
    public static let jsonbArray = PostgresType(3807)
    public static let xid = PostgresType(28)
    public static let oidArray = PostgresType(1028)
    public static let xmlArray = PostgresType(143)
    public static let timeArray = PostgresType(1183)
    public static let intervalArray = PostgresType(1187)
    public static let timetzArray = PostgresType(1270)
    public static let regclass = PostgresType(2205)
    public static let regtype = PostgresType(2206)

    /// OIDs from here on belong to user-defined types (enums, domains, extensions such as citext).
    static let firstUserDefinedOID: UInt32 = 16384

    /// Whether this is one of the built-in array types (or a user-defined type, which may be one).
    var isArrayOrUserDefined: Bool {
        rawValue >= Self.firstUserDefinedOID || Self.arrayOIDs.contains(rawValue)
    }

    private static let arrayOIDs: Set<UInt32> = [
        143, 199, 1000, 1001, 1002, 1003, 1005, 1007, 1009, 1014, 1015, 1016, 1021, 1022, 1028, 1115,
        1182, 1183, 1185, 1187, 1231, 1270, 2951, 3807,
    ]

    /// A readable name for errors: `int8`, `text`, or `oid 16385` for types PGFast does not know.
    public var description: String {
        Self.names[rawValue] ?? "oid \(rawValue)"
    }

    private static let names: [UInt32: String] = [
        0: "unspecified", 16: "bool", 17: "bytea", 18: "\"char\"", 19: "name", 20: "int8", 21: "int2",
        23: "int4", 24: "regproc", 25: "text", 26: "oid", 114: "json", 142: "xml", 199: "json[]",
        700: "float4", 701: "float8", 705: "unknown", 790: "money", 1000: "bool[]", 1001: "bytea[]",
        1002: "\"char\"[]", 1003: "name[]", 1005: "int2[]", 1007: "int4[]", 1009: "text[]",
        1014: "bpchar[]", 1015: "varchar[]", 1016: "int8[]", 1021: "float4[]", 1022: "float8[]",
        1042: "bpchar", 1043: "varchar", 1082: "date", 1083: "time", 1114: "timestamp",
        1115: "timestamp[]", 1182: "date[]", 1184: "timestamptz", 1185: "timestamptz[]",
        1186: "interval", 1231: "numeric[]", 1266: "timetz", 1700: "numeric", 2950: "uuid",
        2951: "uuid[]", 3802: "jsonb", 3807: "jsonb[]", 28: "xid", 1028: "oid[]", 143: "xml[]",
        1183: "time[]", 1187: "interval[]", 1270: "timetz[]", 2205: "regclass", 2206: "regtype",
        // Built-in types PGFast reads only as text (`::text`): named so errors say what the column is.
        600: "point", 601: "lseg", 602: "path", 603: "box", 604: "polygon", 628: "line", 650: "cidr",
        718: "circle", 774: "macaddr8", 829: "macaddr", 869: "inet", 1560: "bit", 1562: "varbit",
        2249: "record", 3614: "tsvector", 3615: "tsquery", 3904: "int4range", 3906: "numrange",
        3908: "tsrange", 3910: "tstzrange", 3912: "daterange", 3926: "int8range", 4451: "int4multirange",
        4536: "nummultirange", 4532: "datemultirange", 4533: "int8multirange", 4534: "tsmultirange",
        4535: "tstzmultirange", 5038: "pg_snapshot",
    ]
}

/// The wire format of a bind or a column value.
public enum PostgresFormat: Int32, Sendable {
    case text = 0
    case binary = 1
}
