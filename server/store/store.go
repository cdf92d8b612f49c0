// Package store keeps what users share: edited scripts (content-addressed,
// so the same text always gets the same link) and recorded runs (a result
// with its events, compressed), in one SQLite file.
package store

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"time"

	_ "modernc.org/sqlite" // the pure-Go SQLite driver, registered as "sqlite"
)

// ErrNotFound means no snippet or run has the id.
var ErrNotFound = errors.New("not found")

// IDLen is the length of snippet and run ids: 11 base64url characters,
// 66 bits, far too many to guess or walk.
const IDLen = 11

// Store is an open database. It is safe for concurrent use.
type Store struct {
	db *sql.DB
}

// migrations are applied in order; the database remembers how many it has
// seen in user_version, so each runs once.
var migrations = []string{
	`CREATE TABLE snippets (
		id      TEXT PRIMARY KEY,
		source  TEXT NOT NULL,
		created INTEGER NOT NULL
	)`,
	`CREATE TABLE runs (
		id       TEXT PRIMARY KEY,
		scenario TEXT NOT NULL,
		mode     TEXT NOT NULL,
		status   TEXT NOT NULL,
		events   INTEGER NOT NULL,
		body     BLOB NOT NULL,
		created  INTEGER NOT NULL
	)`,
	`CREATE INDEX runs_created ON runs (created)`,
}

// Open opens (creating if needed) the database at path, in WAL mode, and
// brings its schema up to date. A file that is not a database, or one
// another process holds locked, is an error that says so.
func Open(path string) (*Store, error) {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("open store: create %s: %w", dir, err)
		}
	}
	dsn := "file:" + path + "?_pragma=journal_mode(WAL)&_pragma=busy_timeout(2000)&_pragma=foreign_keys(1)&_txlock=immediate"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	s := &Store{db: db}
	if err := s.migrate(); err != nil {
		db.Close()
		if strings.Contains(err.Error(), "unable to open database file") {
			err = &accessError{path: path, err: err}
		}
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	return s, nil
}

// accessError is SQLite's bare "unable to open database file (14)" with
// what an operator needs to fix it: the folder, the user, the remedy.
type accessError struct {
	path string
	err  error
}

func (e *accessError) Error() string {
	if fi, err := os.Stat(e.path); err == nil && fi.IsDir() {
		return fmt.Sprintf("%s is a folder, not a database file; choose a file path for -db, such as %s (%v)",
			e.path, filepath.Join(e.path, "interleave.db"), e.err)
	}
	dir := filepath.Dir(e.path)
	who := fmt.Sprintf("uid %d", os.Geteuid())
	if u, err := user.Current(); err == nil {
		who = fmt.Sprintf("user %s (uid %s)", u.Username, u.Uid)
	}
	return fmt.Sprintf("%s cannot create or write the database file in the folder %s; give that user write access to the folder "+
		"(for example: chown %d %s) or choose another -db path (%v)", who, dir, os.Geteuid(), dir, e.err)
}

func (e *accessError) Unwrap() error { return e.err }

func (s *Store) migrate() error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var version int
	if err := s.db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if version > len(migrations) {
		return fmt.Errorf("the database has schema version %d, newer than this program's %d", version, len(migrations))
	}
	for i := version; i < len(migrations); i++ {
		tx, err := s.db.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("migrate to %d: %w", i+1, err)
		}
		if _, err := tx.ExecContext(ctx, migrations[i]); err != nil {
			tx.Rollback()
			return fmt.Errorf("migrate to %d: %w", i+1, err)
		}
		if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", i+1)); err != nil {
			tx.Rollback()
			return fmt.Errorf("migrate to %d: %w", i+1, err)
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("migrate to %d: %w", i+1, err)
		}
	}
	return nil
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// SnippetID is the id a script gets: the first 11 characters of the
// base64url SHA-256 of its text.
func SnippetID(source string) string {
	sum := sha256.Sum256([]byte(source))
	return base64.RawURLEncoding.EncodeToString(sum[:])[:IDLen]
}

// ValidID reports whether id has the shape of an id, so that lookups of
// anything else never reach the database.
func ValidID(id string) bool {
	if len(id) != IDLen {
		return false
	}
	for _, c := range id {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// PutSnippet stores a script and returns its id; storing the same text
// again returns the same id.
func (s *Store) PutSnippet(ctx context.Context, source string) (string, error) {
	id := SnippetID(source)
	_, err := s.db.ExecContext(ctx,
		`INSERT INTO snippets (id, source, created) VALUES (?, ?, ?) ON CONFLICT (id) DO NOTHING`,
		id, source, time.Now().Unix())
	if err != nil {
		return "", fmt.Errorf("put snippet: %w", err)
	}
	return id, nil
}

// Snippet returns the script with the given id.
func (s *Store) Snippet(ctx context.Context, id string) (string, error) {
	if !ValidID(id) {
		return "", ErrNotFound
	}
	var src string
	err := s.db.QueryRowContext(ctx, `SELECT source FROM snippets WHERE id = ?`, id).Scan(&src)
	if errors.Is(err, sql.ErrNoRows) {
		return "", ErrNotFound
	}
	if err != nil {
		return "", fmt.Errorf("get snippet %s: %w", id, err)
	}
	return src, nil
}

// RunMeta describes a stored run without its body.
type RunMeta struct {
	ID       string
	Scenario string
	Mode     string
	Status   string
	Events   int
	Created  time.Time
}

// PutRun stores a recorded run's JSON body (a result with its events),
// compressed, under a new random id.
func (s *Store) PutRun(ctx context.Context, meta RunMeta, body []byte) (string, error) {
	var b [9]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("put run: %w", err)
	}
	id := base64.RawURLEncoding.EncodeToString(b[:])[:IDLen]
	var z bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&z, gzip.BestSpeed)
	if _, err := zw.Write(body); err != nil {
		return "", fmt.Errorf("put run: compress: %w", err)
	}
	if err := zw.Close(); err != nil {
		return "", fmt.Errorf("put run: compress: %w", err)
	}
	_, err := s.db.ExecContext(ctx,
		`INSERT INTO runs (id, scenario, mode, status, events, body, created) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		id, meta.Scenario, meta.Mode, meta.Status, meta.Events, z.Bytes(), time.Now().Unix())
	if err != nil {
		return "", fmt.Errorf("put run: %w", err)
	}
	return id, nil
}

// Run returns a stored run's metadata and its JSON body.
func (s *Store) Run(ctx context.Context, id string) (RunMeta, []byte, error) {
	var m RunMeta
	if !ValidID(id) {
		return m, nil, ErrNotFound
	}
	var z []byte
	var created int64
	err := s.db.QueryRowContext(ctx,
		`SELECT id, scenario, mode, status, events, body, created FROM runs WHERE id = ?`, id).
		Scan(&m.ID, &m.Scenario, &m.Mode, &m.Status, &m.Events, &z, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return m, nil, ErrNotFound
	}
	if err != nil {
		return m, nil, fmt.Errorf("get run %s: %w", id, err)
	}
	m.Created = time.Unix(created, 0)
	zr, err := gzip.NewReader(bytes.NewReader(z))
	if err != nil {
		return m, nil, fmt.Errorf("get run %s: decompress: %w", id, err)
	}
	body, err := io.ReadAll(zr)
	if err != nil {
		return m, nil, fmt.Errorf("get run %s: decompress: %w", id, err)
	}
	return m, body, nil
}

// DeleteRunsBefore removes runs recorded before t and returns how many.
func (s *Store) DeleteRunsBefore(ctx context.Context, t time.Time) (int64, error) {
	res, err := s.db.ExecContext(ctx, `DELETE FROM runs WHERE created < ?`, t.Unix())
	if err != nil {
		return 0, fmt.Errorf("delete old runs: %w", err)
	}
	return res.RowsAffected()
}

// Describe turns a driver error at open time into a sentence for the
// operator: a locked or corrupt file is common and has a clear fix.
func Describe(err error) string {
	msg := err.Error()
	var ae *accessError
	switch {
	case errors.As(err, &ae):
		return ae.Error()
	case strings.Contains(msg, "locked") || strings.Contains(msg, "SQLITE_BUSY"):
		return "the database file is locked by another process; stop it or choose another -db path"
	case strings.Contains(msg, "not a database") || strings.Contains(msg, "malformed"):
		return "the database file is corrupt or not an SQLite database; move it away or choose another -db path"
	}
	return msg
}
