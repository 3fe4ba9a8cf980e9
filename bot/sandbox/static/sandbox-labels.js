// psm-bot sandbox page: the page's own labels, in Italian and English (the toggle at the
// top). What the bot says is not here: it comes from the bot's catalogs.
"use strict";

const LABELS = {
  it: {
    sandbox: "sandbox", rehearsal_time: "Ora della prova", split: "Due chat affiancate",
    lang_help: "Cambia la lingua della pagina", reset: "Ricomincia da zero", controls: "Controlli della sandbox",
    personas: "Persone", template: "Modello", add: "Aggiungi", clock: "Orologio della prova",
    date_time: "Data e ora", go: "Vai", crowd: "Folla simulata", zone: "Zona", count: "Persone",
    about: "Questa sandbox", bot: "Bot", database: "Database",
    not_telegram: "Nessun utente Telegram reale: le persone sono simulate.", persona: "Persona",
    commands: "Comandi", message: "Messaggio", write: "Scrivi un messaggio…", photo: "Manda una foto",
    send: "Invia", ok: "OK", lang_button: "English", no_persona: "Aggiungi una persona a sinistra.",
    no_messages: "Nessun messaggio ancora.", start: "AVVIA", no_commands: "Nessun comando.",
    choose: "— scegli una persona —", back_warning: "L'orologio torna indietro (da {from} a {to}): promemoria e messaggi già inviati non tornano. Continuare?",
    reset_confirm: "Cancellare il database della sandbox, le persone e la folla, e riportare l'orologio ad adesso?",
    reset_done: "Sandbox azzerata.", crowd_added: "{n} partecipanti aggiunti alla Zona {zone}.",
    crowd_busy: "Iscrizione della folla in corso…", edited: "modificato", download: "Scarica",
    map: "Mappa", live: "Aggiornamenti in diretta", polling: "Aggiornamenti ogni 2 secondi",
    error: "Errore", clock_moved: "Orologio: {when}", role_participant: "partecipante",
    role_facilitator: "facilitatore", role_referent: "referente della sede", role_organiser: "organizzatore",
    role_new: "nuovo utente", role_moderator: "moderatore delle domande",
  },
  en: {
    sandbox: "sandbox", rehearsal_time: "Rehearsal time", split: "Two chats side by side",
    lang_help: "Change the page's language", reset: "Start from empty", controls: "Sandbox controls",
    personas: "Personas", template: "Template", add: "Add", clock: "Rehearsal clock",
    date_time: "Date and time", go: "Go", crowd: "Simulated crowd", zone: "Zone", count: "People",
    about: "This sandbox", bot: "Bot", database: "Database",
    not_telegram: "No real Telegram users: the personas are simulated.", persona: "Persona",
    commands: "Commands", message: "Message", write: "Write a message…", photo: "Send a photo",
    send: "Send", ok: "OK", lang_button: "Italiano", no_persona: "Add a persona on the left.",
    no_messages: "No messages yet.", start: "START", no_commands: "No commands.",
    choose: "— choose a persona —", back_warning: "The clock goes back (from {from} to {to}): reminders and messages already sent do not come back. Go on?",
    reset_confirm: "Delete the sandbox's database, the personas and the crowd, and set the clock back to now?",
    reset_done: "Sandbox reset.", crowd_added: "{n} participants added to Zone {zone}.",
    crowd_busy: "The crowd is registering…", edited: "edited", download: "Download",
    map: "Map", live: "Live updates", polling: "Updates every 2 seconds",
    error: "Error", clock_moved: "Clock: {when}", role_participant: "participant",
    role_facilitator: "facilitator", role_referent: "venue referent", role_organiser: "organiser",
    role_new: "new user", role_moderator: "questions moderator",
  },
};
