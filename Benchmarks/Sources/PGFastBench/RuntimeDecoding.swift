import Foundation
import PGFast
import PostgresNIO

/// Scenario 3 of `runtime`: one query of `rows` rows of (int8, text, timestamptz,
/// float8, bool), decoded into Swift tuples and kept in an array.
func decodingQueryText(rows: Int) -> String {
    "SELECT g::int8, 'row ' || g, now() + g * interval '1 second', g * 1.5::float8, g % 2 = 0 "
        + "FROM generate_series(1, \(rows)) g"
}

func compareDecoding(
    _ clients: RuntimeClients, _ endpoint: Endpoint, _ settings: RuntimeSettings
) async throws -> ResultLine {
    let text = decodingQueryText(rows: settings.rows)
    let expected = settings.rows
    let db = clients.pgfastSingleDB
    let connection = clients.nioConnection

    let pgfast: @Sendable () async throws -> Void = {
        let rows = try await db.query(SQL(unsafeRaw: text))
        let decoded = try rows.decode((Int, String, Date, Double, Bool).self)
        guard decoded.count == expected, decoded.last?.0 == expected else {
            throw BenchmarkError("PGFast decoded \(decoded.count) rows")
        }
    }
    let nio: @Sendable () async throws -> Void = {
        let rows = try await connection.query(PostgresQuery(unsafeSQL: text), logger: quietLogger)
        var decoded: [(Int, String, Date, Double, Bool)] = []
        decoded.reserveCapacity(expected)
        for try await (a, b, c, d, e) in rows.decode((Int, String, Date, Double, Bool).self) {
            decoded.append((a, b, c, d, e))
        }
        guard decoded.count == expected, decoded.last?.0 == expected else {
            throw BenchmarkError("postgres-nio decoded \(decoded.count) rows")
        }
    }

    let scenario = "3. decode \(Double(settings.rows).grouped) rows (int8, text, timestamptz, float8, bool)"
    var line = ResultLine(scenario: scenario, transport: endpoint.name, unit: "rows/s", goal: 1.0)
    for round in 0..<settings.rounds {
        let order: [Client] = round % 2 == 0 ? [.pgfast, .nio] : [.nio, .pgfast]
        for client in order where settings.clients.contains(client) {
            let body = client == .pgfast ? pgfast : nio
            try await body()  // warm-up
            var millis: [Double] = []
            for _ in 0..<settings.decodeQueries {
                let sample = try await timed(operations: 1) { try await body() }
                millis.append(sample.seconds * 1000)
            }
            let perQuery = median(millis)
            let rowsPerSecond = Double(settings.rows) / (perQuery / 1000)
            switch client {
            case .pgfast:
                line.pgfast.append(rowsPerSecond)
                line.pgfastMillis.append(perQuery)
            case .nio:
                line.nio.append(rowsPerSecond)
                line.nioMillis.append(perQuery)
            }
            print(
                "  [\(endpoint.name)] \(scenario) round \(round + 1): \(client.rawValue) "
                    + "\(perQuery.formatted(1)) ms/query (median of \(settings.decodeQueries)), "
                    + "\(rowsPerSecond.grouped) rows/s")
        }
    }
    return line
}
