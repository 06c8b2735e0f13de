import PGFast
print("pgfast \(PGFastVersion.string)")
