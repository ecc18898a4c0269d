"""DB.Schema: apply every migration to a scratch SQLite database, then publish the schema."""

from __future__ import annotations

import sqlite3
from pathlib import Path

migrations = sorted(Path("migrations").glob("*.sql"))
if not migrations:
    raise SystemExit("no migrations found")
db = sqlite3.connect(":memory:")
for migration in migrations:
    db.executescript(migration.read_text())
    print(f"applied {migration.name}")
tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY 1")]
if tables != ["order_items", "orders"]:
    raise SystemExit(f"unexpected tables after migrations: {tables}")
out = Path("build/db/shop.sql")
out.parent.mkdir(parents=True, exist_ok=True)
out.write_text("\n".join(db.iterdump()) + "\n")
print(f"wrote {out} ({len(tables)} tables)")
