package main

import (
	"context"
	"flag"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"strings"

	"github.com/jackc/pgx/v5"
)

// prepare makes sure the bench database exists, is migrated and seeded, and has the
// bench's admin: `bench prepare -shopgraph-bin bin/shopgraph`, with DATABASE_URL naming
// the database. The database is created (as the URL's role, which needs CREATEDB) when
// missing, and seeded by `shopgraph seed` only when it has no products.
func prepare(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("prepare", flag.ContinueOnError)
	bin := fs.String("shopgraph-bin", getenv("SHOPGRAPH_BIN", "bin/shopgraph"), "the shopgraph binary")
	dsn := fs.String("database-url", getenv("DATABASE_URL", "postgres://shopgraph:shopgraph@127.0.0.1:5432/shopgraph_bench?sslmode=disable"), "the bench database")
	email := fs.String("admin-email", getenv("BENCH_ADMIN_EMAIL", "bench-admin@shopgraph.example"), "the bench's admin")
	password := fs.String("admin-password", getenv("BENCH_ADMIN_PASSWORD", "bench-admin-password"), "its password")
	if err := fs.Parse(args); err != nil {
		return err
	}
	u, err := url.Parse(*dsn)
	if err != nil || u.Scheme == "" {
		return fmt.Errorf("DATABASE_URL must be a postgres:// URL")
	}
	name := strings.TrimPrefix(u.Path, "/")
	if name == "" || strings.ContainsAny(name, `"/`) {
		return fmt.Errorf("DATABASE_URL names no usable database: %q", name)
	}
	maint := *u
	maint.Path = "/postgres"
	conn, err := pgx.Connect(ctx, maint.String())
	if err != nil {
		return fmt.Errorf("connecting to the postgres database: %w", err)
	}
	var exists bool
	err = conn.QueryRow(ctx, `SELECT EXISTS (SELECT FROM pg_database WHERE datname = $1)`, name).Scan(&exists)
	if err == nil && !exists {
		fmt.Printf("prepare: creating database %s\n", name)
		// Like scripts/services.sh: UTF-8 whatever template1 is.
		var utf8 bool
		if err = conn.QueryRow(ctx, `SELECT encoding = pg_char_to_encoding('UTF8') FROM pg_database WHERE datname = 'template1'`).Scan(&utf8); err == nil {
			sql := `CREATE DATABASE ` + pgx.Identifier{name}.Sanitize()
			if !utf8 {
				sql += ` TEMPLATE template0 ENCODING 'UTF8' LOCALE 'C.UTF-8'`
			}
			_, err = conn.Exec(ctx, sql)
		}
	}
	conn.Close(ctx)
	if err != nil {
		return fmt.Errorf("creating database %s: %w", name, err)
	}

	db, err := pgx.Connect(ctx, *dsn)
	if err != nil {
		return err
	}
	defer db.Close(ctx)
	var seeded bool
	err = db.QueryRow(ctx, `SELECT to_regclass('products') IS NOT NULL`).Scan(&seeded)
	if err == nil && seeded {
		err = db.QueryRow(ctx, `SELECT EXISTS (SELECT FROM products)`).Scan(&seeded)
	}
	if err != nil {
		return err
	}
	if !seeded {
		fmt.Printf("prepare: seeding %s (shopgraph seed)\n", name)
		if err := shopgraphCmd(ctx, *bin, *dsn, "seed"); err != nil {
			return err
		}
	} else {
		fmt.Printf("prepare: %s is seeded\n", name)
	}
	// Statistics, as autovacuum would have them on a server that runs it (it may be off):
	// without them the planner guesses row counts, and the plans are not production's.
	if _, err := db.Exec(ctx, `ANALYZE`); err != nil {
		return fmt.Errorf("analyzing %s: %w", name, err)
	}
	var admin bool
	if err := db.QueryRow(ctx, `SELECT EXISTS (SELECT FROM users WHERE email = $1 AND role = 'ADMIN')`, strings.ToLower(*email)).Scan(&admin); err != nil {
		return err
	}
	if !admin {
		fmt.Printf("prepare: creating the bench admin %s\n", *email)
		if err := shopgraphCmd(ctx, *bin, *dsn, "admin", "create", "--email", *email, "--password", *password, "--name", "Bench Admin"); err != nil {
			return err
		}
	}
	return nil
}

// shopgraphCmd runs a shopgraph subcommand against the database, its output shown.
func shopgraphCmd(ctx context.Context, bin, dsn string, args ...string) error {
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(os.Environ(), "DATABASE_URL="+dsn)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s %s: %w", bin, args[0], err)
	}
	return nil
}
