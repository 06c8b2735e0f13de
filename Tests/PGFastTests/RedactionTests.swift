import Testing

@testable import PGFast

/// The one redaction every message uses, on each input form (no server needed).
@Suite("Redaction of URLs and conninfo")
struct RedactionTests {
    @Test(arguments: [
        ("postgresql://app:s3cret@db:5432/app", "postgresql://app:***@db:5432/app"),
        ("postgres://app:p@ss@word@db/app", "postgres://app:***@db/app"),
        (
            "postgresql://app@db/app?password=s3cret&sslmode=require",
            "postgresql://app@db/app?password=***&sslmode=require"
        ),
        (
            "postgresql://app@db/app?sslmode=require&PASSWORD=s3cret",
            "postgresql://app@db/app?sslmode=require&PASSWORD=***"
        ),
        ("postgresql://app@db/app?pass%77ord=s3cret", "postgresql://app@db/app?pass%77ord=***"),
        ("postgresql://app:x?y@db/app?sslpassword=s3cret", "postgresql://app:***@db/app?sslpassword=***"),
        ("postgresql://db/app", "postgresql://db/app"),
        ("host=db password=s3cret user=app", "host=db password=*** user=app"),
        ("host=db password = 's3cret with spaces' user=app", "host=db password = *** user=app"),
        ("host=db password='it\\'s s3cret' user=app", "host=db password=*** user=app"),
        ("host=db password='s3cret unterminated", "host=db password=*** ***"),
        ("host=db password=s3cret tail user=app", "host=db password=*** ***"),
        ("host=db sslpassword=s3cret", "host=db sslpassword=***"),
        ("not conninfo s3cret", "not conninfo s3cret"),
        ("garbage password s3cret", "garbage ***"),
        ("host=db passfile=/home/app/.pgpass", "host=db passfile=/home/app/.pgpass"),
    ])
    func hidesEveryPassword(input: String, expected: String) {
        #expect(DatabaseConfig.redacted(input) == expected)
    }

    @Test func libpqReasonsLoseTheQuotedPieces() {
        let input = "host=db password=s3cret tail user=app"
        #expect(
            Redaction.scrub("missing \"=\" after \"tail\" in connection info string", secretsOf: input)
                == "missing \"***\" after \"***\" in connection info string")
        #expect(
            Redaction.scrub("invalid connection option \"bogus\"", secretsOf: "password='a b' bogus=1")
                == "invalid connection option \"bogus\"")
    }

    @Test func configDescriptionsAndMirrorsMaskTheStoredPassword() throws {
        let config = try DatabaseConfig(conninfo: "host=db user=app password='s3cret value' dbname=app")
        var dumped = ""
        dump(config, to: &dumped)
        for shown in [config.description, config.debugDescription, String(reflecting: config), dumped] {
            #expect(!shown.contains("s3cret"), "\(shown)")
            #expect(shown.contains("user=app"))
        }
        #expect(config[parameter: "password"] == "s3cret value")  // the value itself is kept for libpq
    }
}
