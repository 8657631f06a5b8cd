package glossary

import "github.com/klageflow/klage/internal/vocab"

// Channel is how a complaint reached customer service.
type Channel string

// The channels.
const (
	Email Channel = "email" // an e-mail to customer support
	Chat  Channel = "chat"  // the chat on the retailer's website
	Phone Channel = "phone" // a phone call to customer support
	Web   Channel = "web"   // a complaint form on the website
)

var channels = vocab.New("channel", newParseError,
	vocab.Entry[Channel]{Value: Email, Danish: "e-mail", English: "e-mail"},
	vocab.Entry[Channel]{Value: Chat, Danish: "chat", English: "chat"},
	vocab.Entry[Channel]{Value: Phone, Danish: "telefon", English: "phone"},
	vocab.Entry[Channel]{Value: Web, Danish: "webformular", English: "web form"},
)

// ParseChannel parses a channel's wire name.
func ParseChannel(s string) (Channel, error) { return channels.ParseErr(s) }

// Channels returns every channel.
func Channels() []Channel { return channels.Values() }

// Valid reports whether c is a known channel.
func (c Channel) Valid() bool { return channels.Valid(c) }

// String returns the wire name.
func (c Channel) String() string { return string(c) }

// Label returns the channel's name in lang.
func (c Channel) Label(lang Language) string { return channels.Label(c, string(lang)) }

// MarshalText implements encoding.TextMarshaler; it fails for an unknown value.
func (c Channel) MarshalText() ([]byte, error) { return channels.MarshalText(c) }

// UnmarshalText implements encoding.TextUnmarshaler.
func (c *Channel) UnmarshalText(b []byte) error { return channels.UnmarshalText(c, b) }
