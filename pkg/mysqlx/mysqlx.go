// Package mysqlx opens a service's own MariaDB/MySQL database with GORM,
// traced with OpenTelemetry, creating the database on first use.
package mysqlx

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	gormmysql "gorm.io/driver/mysql"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
	"gorm.io/plugin/opentelemetry/tracing"
)

// Config locates the database server and names the service's database.
type Config struct {
	Addr     string `yaml:"addr" env:"MYSQL_ADDR"`
	User     string `yaml:"user" env:"MYSQL_USER"`
	Password string `yaml:"password" env:"MYSQL_PASSWORD"`
	// Database is owned by one service (database-per-service).
	Database     string        `yaml:"database" env:"MYSQL_DATABASE"`
	MaxOpenConns int           `yaml:"max_open_conns"`
	MaxIdleConns int           `yaml:"max_idle_conns"`
	DialTimeout  time.Duration `yaml:"dial_timeout"`
	// QueryTimeout bounds reads and writes on a connection, so a database
	// that stops answering fails calls instead of hanging them.
	QueryTimeout time.Duration `yaml:"query_timeout"`
}

// DefaultConfig returns local-stack defaults for database.
func DefaultConfig(database string) Config {
	return Config{
		Addr: "127.0.0.1:3306", User: "platform", Password: "platform", Database: database,
		MaxOpenConns: 32, MaxIdleConns: 16, DialTimeout: 2 * time.Second, QueryTimeout: 5 * time.Second,
	}
}

var dbName = regexp.MustCompile(`^[A-Za-z0-9_]{1,64}$`)

// Validate checks the config; key is the config key prefix for messages.
func (c Config) Validate(key string) error {
	switch {
	case c.Addr == "":
		return fmt.Errorf("%s.addr: must be host:port", key)
	case c.User == "":
		return fmt.Errorf("%s.user: must not be empty", key)
	case !dbName.MatchString(c.Database):
		return fmt.Errorf("%s.database: %q must be 1..64 of [A-Za-z0-9_]", key, c.Database)
	case c.MaxOpenConns <= 0:
		return fmt.Errorf("%s.max_open_conns: must be positive", key)
	}
	return nil
}

func (c Config) dsn(database string) string {
	mc := mysql.NewConfig()
	mc.User, mc.Passwd, mc.Net, mc.Addr, mc.DBName = c.User, c.Password, "tcp", c.Addr, database
	mc.ParseTime, mc.Loc = true, time.UTC
	mc.Timeout, mc.ReadTimeout, mc.WriteTimeout = c.DialTimeout, c.QueryTimeout, c.QueryTimeout
	mc.Params = map[string]string{"charset": "utf8mb4"}
	mc.Collation = "utf8mb4_unicode_ci"
	return mc.FormatDSN()
}

// EnsureDatabase creates the configured database if it does not exist.
func EnsureDatabase(ctx context.Context, c Config) error {
	db, err := sql.Open("mysql", c.dsn(""))
	if err != nil {
		return fmt.Errorf("open mysql %s: %w", c.Addr, err)
	}
	defer db.Close()
	// The name is validated against a strict pattern, so quoting is safe.
	if _, err := db.ExecContext(ctx, "CREATE DATABASE IF NOT EXISTS `"+c.Database+"` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"); err != nil {
		return fmt.Errorf("create database %s on %s: %w", c.Database, c.Addr, err)
	}
	return nil
}

// DropDatabase removes the database; tests use it to clean up.
func DropDatabase(ctx context.Context, c Config) error {
	db, err := sql.Open("mysql", c.dsn(""))
	if err != nil {
		return fmt.Errorf("open mysql %s: %w", c.Addr, err)
	}
	defer db.Close()
	if !dbName.MatchString(c.Database) {
		return fmt.Errorf("refusing to drop database %q", c.Database)
	}
	if _, err := db.ExecContext(ctx, "DROP DATABASE IF EXISTS `"+c.Database+"`"); err != nil {
		return fmt.Errorf("drop database %s: %w", c.Database, err)
	}
	return nil
}

// Open creates the database if needed and returns a traced GORM handle.
func Open(ctx context.Context, c Config) (*gorm.DB, error) {
	if err := EnsureDatabase(ctx, c); err != nil {
		return nil, err
	}
	db, err := gorm.Open(gormmysql.Open(c.dsn(c.Database)), &gorm.Config{
		Logger:                 logger.Default.LogMode(logger.Silent),
		SkipDefaultTransaction: true,
		NowFunc:                func() time.Time { return time.Now().UTC() },
	})
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", c.Database, err)
	}
	if err := db.Use(tracing.NewPlugin(tracing.WithoutMetrics())); err != nil {
		return nil, fmt.Errorf("install gorm tracing: %w", err)
	}
	sqlDB, err := db.DB()
	if err != nil {
		return nil, fmt.Errorf("database handle: %w", err)
	}
	sqlDB.SetMaxOpenConns(c.MaxOpenConns)
	sqlDB.SetMaxIdleConns(c.MaxIdleConns)
	sqlDB.SetConnMaxLifetime(30 * time.Minute)
	if err := sqlDB.PingContext(ctx); err != nil {
		return nil, fmt.Errorf("ping database %s: %w", c.Database, err)
	}
	return db, nil
}

// ExportPoolMetrics exports the connection pool of db on reg as the
// go_sql_* series labelled db_name=name: open, in-use and idle connections,
// and the waits for a free one (count and time), which show a pool too
// small for its load before its callers time out. A process that opens one
// database twice on one registry (tests running two instances) exports the
// first pool only.
func ExportPoolMetrics(reg prometheus.Registerer, db *sql.DB, name string) error {
	err := reg.Register(collectors.NewDBStatsCollector(db, name))
	if _, dup := errors.AsType[prometheus.AlreadyRegisteredError](err); err != nil && !dup {
		return fmt.Errorf("export pool metrics of %s: %w", name, err)
	}
	return nil
}

// IsDuplicateKey reports whether err is a unique-key violation (MySQL 1062).
func IsDuplicateKey(err error) bool {
	var me *mysql.MySQLError
	return errors.As(err, &me) && me.Number == 1062
}
