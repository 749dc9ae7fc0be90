"""The words news pages put around a story, in the theme's languages (en, de, fr, es, ru, uk).

Each list names one kind of boilerplate. Patterns match a whole line once its surrounding
punctuation is stripped (`whole`), or anywhere in it (`inside`), case-insensitively. They
describe what pages of any outlet say, never one outlet's wording: an outlet's own lines are
what per-outlet rules under `import.sources` are for.
"""

from __future__ import annotations

import re

# "Skip to content" lines, menus and the page's own furniture above a story.
NAVIGATION = [
    r"skip (to|past|links|to (the )?(main )?(content|navigation|search|footer))\b.{0,30}", r"skip navigation|navigation( menu)?|main menu|menu|search|home",
    r"(direkt )?zum inhalt( springen)?|zur navigation|hauptmenü|startseite|suche|menü",
    r"перейти (к|до) (основному )?(содержанию|содержимому|вмісту|основного вмісту|навигации|навігації)|главная|головна|меню|поиск|пошук",
    r"aller au contenu( principal)?|accueil|rechercher|ir al contenido( principal)?|inicio|buscar",
    r"live|watch live|listen live|log ?in|sign in|register|my account|my news|anmelden|einloggen|registrieren|войти|вход|увійти",
    r"(print |digital )?subscriptions?|subscribe( now| today)?|abo|abonnieren|подписка|передплата|s'abonner|suscríbete",
    r"newsletters?|podcasts?|jobs|search jobs|puzzles|crosswords?|games",
    # section names, alone on their line in a menu or over the headline
    r"news|local|national|world|business|politics|sports?|culture|opinion|science|weather|money|entertainment|lifestyle|economy|markets|tech(nology)?|health|travel|features|video|local news|regions?|showbiz|analysis|transport|education|crime|courts|property|motoring",
    r"nachrichten|politik|wirtschaft|kultur|wissen|gesellschaft|panorama|meinung|regional|wetter|mediathek",
    r"новости|политика|экономика|общество|спорт|культура|мнения|наука|регионы|новини|економіка|суспільство|регіони|думки|війна|наука",
    r"actualités|politique|économie|société|noticias|política|economía|sociedad|deportes",
    r"your area\b.{0,40}|edition\b.{0,30}|(uk|us|international|europe) edition|lenta|лента новостей|стрічка новин",
]  # fmt: skip

# One-line widgets anywhere: share rows, adverts, buttons, reading times, payment bits.
WIDGET = [
    r"((kindly|please) )?share this (story|article|post)\W*|fehler gefunden\b.{0,60}|share|share this( article| story| page)?|share (the |full )?(article|story)|share (on|via) .{0,40}|share or comment( on this article)?|copy link|link|email|e-mail|print|save|saved|save articles?\b.{0,80}|tweet|(\d+ )?comments?( \(\d+\))?|comment",
    r"facebook|twitter|x|whatsapp|linkedin|reddit|bluesky|threads|messenger|telegram|instagram|youtube|vk|вконтакте|одноклассники|viber|flipboard|pinterest",
    r"teilen|artikel teilen|kommentare?|drucken|merken|speichern|поделиться|поділитися|распечатать|друк|коментарі|комментарии|partager|imprimer|compartir|imprimir|comentarios",
    r"advertisement|advert|ad|ads|sponsored( content)?|paid (post|content)|skip (advertisement|ad)\b.{0,40}|report this ad|hide ad|scroll to continue|advertisement\W+scroll to continue",
    r"anzeige|werbung|реклама|партнерский материал|publicité|publicidad",
    r"purchase licensing rights|reuse this content|licensing|permissions|corrections?|report an error|feedback",
    r"((updated|published|posted):? )?(\d+|an?|one) (minutes?|hours?|days?|weeks?) ago|((updated|published) )?(just now|yesterday)|(vor )?(einer|einem) (minute|stunde|tag)|(час|минуту|день|годину|хвилину) (назад|тому)|il y a \d+ (minutes?|heures?)|hace \d+ (minutos?|horas?)|(vor )?\d+ (minuten|stunden|tagen?)( her)?|\d+ (минут|мин|часа?|часов|хвилин|годин)\w* (назад|тому)",
    r"offrir( l'article)?|gift (this )?article|artikel verschenken|подарить статью|temps de lecture.{0,20}|tiempo de lectura.{0,20}|reading time.{0,20}|час читання.{0,20}",
    r"listen to this article.{0,40}|\d+ min(ute)?s? (read|listen)|lesezeit.{0,20}|\d+ min lesezeit|время чтения.{0,20}|\d+ мин(ут)? чтения",
    r"(give|donate|pay|contribute|spenden|пожертвовать|поддержать|підтримати|задонатити)( once| monthly| annually| now| today)?( [£$€₽₴]\s?\d.{0,40})?",
    r"(once|monthly|annual|annually|one-?off|single|recurring|einmalig|monatlich|jährlich|один раз|ежемесячно|ежегодно|щомісяця|одноразово)( payment| contribution| donation)?",
    r"[£$€₽₴]\s?\d+([.,]\d\d)?( (per|a|/) ?(month|year|week))?( or more)?|\d+([.,]\d\d)?\s?[£$€₽₴]( (в|за) (месяц|мiсяць|місяць))?",
    r"continue|maybe later|remind me( later| in \w+)?|not now|no thanks|close|dismiss|weiter|später|закрыть|закрити|позже|пізніше",
    r"(accepted )?(payment|paiment) methods?\b.{0,100}|not ready to (support|give)\b.{0,40}",
    r"((visa|mastercard|american express|amex|paypal|apple pay|google pay)[\s,/|]*(and\s+)?){2,}",
    r"privacy (notice|policy)\b.{0,300}|terms (and conditions|of (use|service))\b.{0,100}|cookie settings|cookies?( policy| preferences)?|datenschutz(erklärung)?|impressum|kontakt|contact( us)?|about us",
    r".{0,100}\bcookies?\b.{0,100}\b(accept|settings|preferences|policy|consent)\b.{0,100}|accept( all)?( cookies)?|reject all",
    r".{0,60}\b(uses|use|utilise|utilisent|verwendet|verwenden|nutzt|nutzen|utiliza|usa|использует|використовує)\s+(des )?cookies?\b.{0,300}|by continuing to (use|browse)\b.{0,200}",
    # gambling adverts' legal warnings
    r"(les )?jeux d'argent (et de hasard )?comportent des risques\b.{0,200}|jouez (de manière )?responsable\w*\b.{0,100}|(please )?(gamble|play) responsibly\b.{0,100}|glücksspiel kann süchtig machen\b.{0,100}|18\+.{0,60}",
    r"(enter )?your email( address)?\b.{0,40}|(jetzt )?(anmelden|abonnieren|testen)|sign up( here| now)?|subscribe|подписаться|підписатися|thank you for signing up!?",
    r"(read|read more|read next|also read|read also|related|see also|watch|lesen sie auch|mehr zum thema|читайте также|читайте по теме|читайте також|lire aussi|lea también|más información)\s*[:|].{1,150}",
    r"(écouter|listen to|прослушать|послухати|escuchar) (cet |this |the |l'|la |este |esta |эту |цю )?(article|story|noticia|artículo|статью|статтю)\b.{0,30}|(dieser )?artikel (zum )?anhören\b.{0,30}",
    r"zur merkliste( hinzufügen)?|add to (my )?(reading )?list|save (for later|to (my )?list)|в избранное|до обраного|by (submitting|signing up|clicking)\b.{0,200}|\d+ mins? (to )?read|[\w.+-]+@[\w-]+\.[\w.]+([,;]?\s+(and\s+)?[\w.+-]+@[\w-]+\.[\w.]+)*",
    r"(para comentar debe iniciar sesión|(log|sign) in to comment|melden sie sich an, um zu kommentieren|connectez-vous pour commenter|чтобы оставить комментарий|щоб залишити коментар)\b.{0,60}",
    r"sorry, (there|something)\b.{0,80}|please try again( later)?\.?|something went wrong.{0,60}|an error (has )?occurred.{0,60}|join the (conversation|discussion|debate)|mitdiskutieren|réagir|abstimmen|vote|ergebnis(se)? anzeigen|show results|голосовать|проголосувати|voter|votar|weiß nicht|don't know",
    r"\d+ (of|из|з|von|de|sur) \d+|leer en español|read in english|in english|en español|english version|auf deutsch|читать на русском|читати українською|version française",
    r"(zum )?kommentarbereich|kommentar schreiben|leave a comment|add a comment|post a comment|оставить комментарий|залишити коментар|\d+ comments?( / \d+ new)?",
    r"(article )?réservé aux abonnés|abonnés|subscriber exclusive|subscribers? only|nur für abonnenten|только для подписчиков|лише для передплатників|exclusivo para suscriptores",
    r"(просмотров|переглядів|views|aufrufe|vues|vistas)\s*:?\s*[\d\s.,]+|[\d\s.,]+\s*(просмотр\w*|перегляд\w*|views)|listen\s*[•·|:-]\s*[\d:]+",
    r"(нашли|знайшли) (ошибку|помилку)\b.{0,100}|(found|spotted) (a|an) (typo|error|mistake)\b.{0,100}|(vous avez )?(repéré|trouvé|vu) une (erreur|faute)\b.{0,100}|(haben sie )?einen fehler (gefunden|entdeckt)\b.{0,100}|(has|ha) (encontrado|visto) un error\b.{0,100}|(further|more) reading:.{0,200}|weiterlesen:.{0,200}",
    r"disclaimer:.{0,400}|.{0,40}\bcomments? (published )?(are|is) (the )?(sole )?responsibility\b.{0,200}|los comentarios publicados son\b.{0,200}|les commentaires (publiés )?(sont|n'engagent)\b.{0,200}",
    r"\d(\.\d+)?x|\d{1,2}:\d\d( / \d{1,2}:\d\d)?|audio-player|audio herunterladen.{0,40}|link des audios|download audio.{0,40}|media caption,?|video caption,?|(search & )?section navigation|accessibility help",
    r"play video|closed captioning|captions?|mute|unmute|pause|full ?screen|now playing|up next|video (player|ad)|artikel (vorlesen|anhören)|vorlesen|listen|écouter( l'article)?|escuchar|слушать|слухати|opens new tab",
    r"see more on:?.{0,100}|order reprints.{0,100}|story continues below( this)? (ad|advertisement|gallery|video)?|this (ad|advertisement) has not loaded( yet)?\b.{0,120}|(article|story) continues (below|after)( the)? (ad|advertisement|gallery|video)",
    # "continue reading after the advertisement" in the other languages
    r"(weiterlesen|lesen sie weiter|der artikel geht weiter) (nach|unter) der (anzeige|werbung)|continue reading (below|after the (ad|advertisement))|la suite (après|sous) (la|cette) publicité|sigue leyendo (debajo|tras el anuncio|después del anuncio)|продолжение (ниже|после рекламы)|продовження (нижче|після реклами)",
    # prompts to comment, and comment counters: "Kommentare (12)", "Want to join the conversation? Please log in to comment"
    r".{0,60}\b(to comment|zu kommentieren|pour commenter|para comentar|чтобы (оставить )?комментари\w*|чтобы комментировать|щоб (залишити )?комент\w*)\b.{0,80}|(comments?|kommentare?|commentaires?|comentarios?|комментарии|коментарі)\s*\(\d+\)",
    r"(show|hide|expand|collapse|view|close) (caption|captions|photo|image|gallery|all photos|bildunterschrift)|(bildunterschrift|légende) (anzeigen|ausblenden|afficher|masquer)|slide \d+ of \d+",
    r"why you can trust\b.{0,60}|how we (report|work|fact-check)\b.{0,40}|our (editorial )?(standards|principles|ethics)( policy)?|rights (and|&) permissions|reprints (and|&) permissions",
    r"list of \d+ items|list \d+ of \d+|end of list|load more|show more|more|mehr|ещё|більше",
    r"image|photo|video|gallery|foto|фото|видео|відео|audio|play|watch|listen|hören|смотреть|дивитися",
    r"follow( us)?( on)?\b.{0,60}|folgen sie uns\b.{0,60}|подписывайтесь\b.{0,80}|підписуйтеся\b.{0,80}|читайте нас\b.{0,60}",
]  # fmt: skip

# A heading over links to other stories: the headlines under it go with it.
RELATED = [
    r"read more|read next|further reading|related( stories| articles| content| coverage)?|more on this( story)?|more from \w+|recommended( stories| for you)?|see also|you may also like|more stories|top stories|latest( news)?",
    r"most (read|viewed|popular|shared)( news| stories)?|top picks\b.{0,40}|trending( now)?|what others are reading|explore more on these topics|more about",
    r"(mehr zum thema|more on|more about|plus sur|más sobre|больше по теме|більше на тему)\b.{0,40}|lesen sie auch|auch interessant|das könnte sie auch interessieren|weitere artikel|meistgelesen|beliebt",
    r"самое интересное|найцікавіше|читайте также|читайте по теме|по теме|самое читаемое|популярное|главное за день|главное|новости по теме|ещё по теме",
    r"читайте також|дивіться також|популярне|головне за день|головне|більше новин|новини за темою",
    r"à lire aussi|lire aussi|les plus lus|sur le même sujet|lea también|más leídas|lo más visto|relacionad[oa]s|noticias relacionadas",
    # topic and tag lists: headings with links under them, in the middle of a story too
    r"(suggested |related )?topics?:?|tags?:?.{0,200}|теги:?.{0,200}|(темы|теми|themen|sujets|temas|topics)\s*:.{0,200}|темы:?|теми:?|schlagwörter( zu diesem artikel)?:?.{0,100}|themen:?|sujets:?|temas:?|etiquetas:?|mots-clés:?",
    r"in the news|more in \w+",
]

# A heading over a list of short points that sum the story up: the points go with it.
SUMMARY = [r"(poll|umfrage|опрос|опитування|sondage|encuesta)\W*|what (you need to know|we know)|das müssen sie wissen|что (нужно знать|известно)|що (потрібно знати|відомо)|ce qu'il faut savoir|lo que hay que saber|key (points|facts|takeaways)|highlights|in brief|in short|at a glance|the essentials|das wichtigste( in kürze)?|auf einen blick|главное|коротко|головне|коротко про головне|en bref|l'essentiel|lo más importante|claves"]  # fmt: skip

# The end of the page: copyright, tags, topic lists, legal lines.
FOOTER = [
    r".{0,20}(©|\(c\)|copyright( ©)?\s?\d{4}).{0,300}|all rights reserved\b.{0,300}|alle rechte vorbehalten\b.{0,300}|все права защищены\b.{0,200}|(усі|всі) права захищен[оі]\b.{0,200}|tous droits réservés\.?|todos los derechos reservados\.?",
    r"(сетевое издание|мережеве видання|свидетельство о регистрации|зарегистрирован[оа]? (роскомнадзором|федеральной службой)|эл\s*№\s*фс).{0,400}|published by .{0,80}|our standards:?.{0,100}|.{0,60}\backnowledges?\b.{0,120}\b(traditional )?(owners|custodians)\b.{0,300}|.{0,100}\b(is|are) (protected by )?copyright(ed)?\b.{0,200}|.{0,100}\bcannot be (reproduced|republished)\b.{0,100}|(this|dieser|cet|este) (article|story|artikel|artículo) (first |erst |a été |fue )?(appeared|erschien|publié|publicado)\b.{0,200}|a version of this (article|story) appears in print\b.{0,300}|dieses thema im programm:?|.{0,60}\bis (a )?part of .{0,60}\b(group|media|network|ltd|limited|inc|plc|gmbh)\b.{0,100}",
]  # fmt: skip

# A line that opens a box of appeals or newsletter offers: it and its promotional lines go.
BOX_START = [
    r"(підтримати|поддержать|unterstützen|soutenir|apoyar)\s+\S.{0,60}|support (us|our \w+|independent journalism|the [\w’' -]{1,40}|[\w’' -]{1,40})[.!]?|unterstützen sie (uns|[\w’' -]{1,40})[.!]?|поддержите\b.{0,60}|підтримайте\b.{0,60}|soutenez\b.{0,60}|apoya\b.{0,60}",
    r"(please |can you )?(help us|support us|donate|make a (donation|contribution))\b.{0,200}",
    r"(become|join) (a |our )?(member|supporter|subscriber|patron)s?\b.{0,200}",
    r"join (our|the) [\w’' -]{0,30}\b(community|club|movement)\b.{0,60}|on supporting [\w’' -]{1,40}|(it's|it is) time to stand up for\b.{0,40}",
    r"(before you go|a (message|note|letter) from .{0,40}|we have a (small )?favou?r to ask|dear readers?|liebe leser\w*|дорогие читатели|шановні читачі|уважаемые читатели|chers lecteurs|queridos lectores)\b.{0,200}",
    r"newsletters?( promotion)?:?", r"newsletters?\s*[:«\"„“'‘‹].{0,60}", r"recevez .{0,80}\b(chaque (matin|jour|semaine)|par e-?mail|dans votre boîte)\b.{0,80}", r".{0,40}\b(free|daily|weekly|our|morning|evening)\b.{0,30}\bnewsletters?\b.{0,120}",
    # paywalls
    r"(this|the) (article|story|content) is (only )?(available|reserved|for) (to |for )?(subscribers|members)\b.{0,100}|(article|contenu) réservé aux abonnés|subscribers only|nur für abonnenten\b.{0,60}|(dieser|der) artikel ist (nur )?für abonnenten\b.{0,60}",
    r"(этот|данный) материал доступен только подписчикам.{0,60}|цей матеріал доступний лише передплатникам.{0,60}|contenido exclusivo para suscriptores.{0,60}|already a (subscriber|member)\??.{0,60}|уже подписаны\??.{0,60}|déjà abonné\??.{0,60}",
    r"(sign up|subscribe) (to|for)\b.{0,200}", r"get (our|the) .{0,40} (in|to) your inbox.{0,100}", r"get (our|the) .{0,40}\b(briefing|newsletter|digest)\b.{0,100}",
    r"recib[ií] .{0,40}\b(en tu correo|newsletter)\b.{0,100}|получайте .{0,60}\b(на почту|рассылк)\w*.{0,60}|отримуйте .{0,60}\b(на пошту|розсилк)\w*.{0,60}",
    r"(abonnieren sie|bestellen sie) .{0,80}newsletter.{0,40}|newsletter abonnieren|.{0,30}\bnewsletter\b.{0,30}\b(anmelden|abonnieren)\b.{0,30}",
    r"подпишитесь\b.{0,100}|підпишіться\b.{0,100}|abonnez-vous\b.{0,100}|suscríbete\b.{0,100}",
]  # fmt: skip

# A sentence that belongs to a box wherever it stands: appeals that read like story text.
APPEAL_INSIDE = [
    r"we have a (small )?favou?r to ask", r"(support|fund) (our |independent )journalism", r"no matter how small", r"(remind|ask) me later",
    r"(unabhängigen )?journalismus unterstützen", r"поддержите (нас|наш|независим)", r"підтримайте (нас|наш|незалежн)", r"support (us|our work)\b",
    r"unterstützen sie (uns|unsere)", r"soutenez(-nous| notre)", r"apoya (nuestro|a nuestr)", r"існує завдяки (читачам|вам)", r"существует благодаря (читателям|вам)", r"нам нужна ваша помощь", r"нам потрібна ваша допомога",
    r"(please )?consider (a|making a|supporting)\b.{0,40}\b(contribution|donation|gift|us)", r"if you( are|'re|’re)? (valu|enjoy|lik)\w* (our|this)\b.{0,60}\b(support|contribut|donat|subscri)", r"(need|want) to ask (for )?your support", r"ask(ing)? for your support",
    r"do you have a story( for us)?\b", r"vous avez une (information|nouvelle)\b", r"(únase|join|folgen sie|подписывайтесь|приєднуйтесь)\b.{0,40}\b(whatsapp|telegram|google news|канал)", r"google news", r"(may|might) earn (a )?commission", r"affiliate (link|commission)s?\b", r"мы работаем для вас", r"(funded|supported|made possible) by (readers|listeners|viewers|members|people) like you\b", r"(our work|we are|we're|journalism is) (funded|supported) by (our )?(readers|listeners|viewers|members)\b", r"can you help us\b", r"(напишите|напишіть) нам (в|у|на)\b.{0,40}\b(чат-?бот|бот|telegram|телеграм)", r"write to (us|our) .{0,30}\b(chat ?bot|secure (chat|line))", r"we work for you", r"(have|got) a (news )?tip\b", r"(download|get) (the|our) .{0,40}\bapp\b", r"(lade|laden sie) .{0,30}\bapp\b",
    r"скачайте .{0,30}приложени", r"завантажте .{0,30}застосун", r"téléchargez l'application", r"descarga la app",
    r"(did you )?(like|enjoy)(ed)? this (article|story)\b", r"gefällt ihnen (dieser|der) artikel", r"cet article vous a plu", r"вам понравил\w* (эта )?стать", r"got a story\b", r"haben sie hinweise", r"есть новость\?", r"маєте новину\?",
]  # fmt: skip

# A box ends at these; the story goes on after them.
BOX_END = [
    r"(skip past|after) newsletter promotion",
    r"end of (advertisement|newsletter)",
    r"ende der (anzeige|werbung)",
]

# A line at the foot of a story that credits its reporting, not part of it.
TAGLINE = [
    r"(additional )?reporting by\b.{0,200}", r"(contact|reach|email|write to|kontakt\w*|schreiben sie|связаться с|напишите|contacter|escribe a) .{0,60}[\w.+-]+@[\w-]+\.[\w.]+\b.{0,160}", r"(writing|editing|edited) by\b.{0,200}", r".{0,120}\b(reported|contributed) (from|to this (report|story))\b.{0,200}",
    r".{0,60}\bis an? ([\w-]+ ){0,3}(writer|editor|reporter|correspondent|journalist|producer|columnist)\b.{0,160}",
    r"(mitarbeit|mit material von|редактор|автор текста|автор):?.{0,120}", r"with (additional )?reporting from\b.{0,120}", r"report(ing|ed) from\b.{0,80}",
    r"[A-ZÀ-Þ][\w'’-]+ [A-ZÀ-Þ][\w'’-]+ (covers|writes about|reports on|is based in|schreibt über|berichtet über|écrit sur|couvre|escribe sobre|cubre|пишет о|освещает|пише про|висвітлює)\b.{0,240}",
    r".{0,60}\b(is|ist|est|es|является|є) (an? )?([\w'’-]+ ){0,3}(redaktor\w*|redakteur\w*|journalist\w*|reporter\w*|korrespondent\w*|periodista|redactor\w*|rédact\w*|journaliste|корреспондент\w*|журналіст\w*|журналист\w*)\b.{0,200}",
    r"(redactora?|redakteur(in)?|journaliste|reporter|periodista) (de la sección|im ressort|à la rubrique|de la rubrique)\b.{0,200}|bio completa|full bio",
    r"(this (story|article|report) was (produced|written|funded|supported) (by|with|through|as part of))\b.{0,300}",
    r"(this (article|story) (was|has been) (amended|updated|corrected|modified|changed)|ce texte a été (modifié|corrigé|mis à jour)|материал (дополнен|обновл[её]н|исправлен)|матеріал (доповнено|оновлено|виправлено)"
    r"|dieser (artikel|text) wurde (aktualisiert|korrigiert|ergänzt)|korrektur:|correction:|este (artículo|texto) fue (actualizado|modificado|corregido)|originally published)\b.{0,300}",
]  # fmt: skip

# Words a box of appeals or offers is made of, and words that address the reader.
PROMO_WORDS = re.compile(
    r"\b(support(ers?|ing)?|donat\w*|contribut\w*|subscri\w*|newsletters?|inbox|sign(ing)? up|e-?mail|journalism|readers?|membership"
    r"|paywall|fund(ed|ing)?|gift|monthly|one-?off|free|ads?|advertis\w*|privacy|unsubscribe|independent|billionaire|shareholders?"
    r"|unterstütz\w*|spende\w*|abonn\w*|journalismus|leser\w*|поддерж\w*|пожертв\w*|подпис\w*|рассылк\w*|журналист\w*|читател\w*|донат\w*"
    r"|підтрим\w*|підпис\w*|розсилк\w*|журналіст\w*|читач\w*|soutien\w*|abonne\w*|suscri\w*|periodismo)\b|[£$€₽₴]\s?\d",
    re.I,
)
STRONG_PROMO = re.compile(
    r"\b(sign(ing)? up|subscri\w*|newsletters?|inbox|mailbox|donat\w*|abonn\w*|postfach|подпис\w*|рассылк\w*|на (вашу )?почту|підпис\w*|розсилк\w*|на (вашу )?пошту|пожертв\w*)\b",
    re.I,
)
QUOTED = re.compile(r"[\"“„«‘][^\"“”„«»‘’]{0,400}[\"”“»’]|(?<!\w)'[^']{0,400}'(?!\w)")
ADDRESS = re.compile(
    r"\b(you|your|we|our|us|sie|ihr\w*|wir|uns\w*|du|dein\w*|dich|dir|euch|ты|тебя|тебе|твой|твоя|твоё|твои|твій|твоє|тобі|вы|вас|ваш\w*|мы|нам|наш\w*|ви|ми|вам|нас|vous|votre|nous|notre|usted|nuestr\w*)\b",
    re.I,
)


def _whole(patterns: list[str]) -> re.Pattern:
    return re.compile(r"\W*(?:" + "|".join(f"(?:{p})" for p in patterns) + r")\W*", re.I)


def _inside(patterns: list[str]) -> re.Pattern:
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.I)


KINDS = {kind: _whole(patterns) for kind, patterns in (
    ("navigation", NAVIGATION), ("widget", WIDGET), ("summary", SUMMARY), ("related", RELATED), ("footer", FOOTER), ("tagline", TAGLINE),
)}  # fmt: skip
BOX_START_LINE = _whole(BOX_START)
BOX_END_LINE = _whole(BOX_END)
APPEAL = _inside(APPEAL_INSIDE)
MAX_BOX_START_WORDS = 20  # boxes open with a heading or a sentence, not a long paragraph


def kind_of(line: str) -> str:
    """The kind of boilerplate a whole line is ('navigation', 'widget', 'related', 'footer',
    'tagline'), or ''."""
    for kind, pattern in KINDS.items():
        if pattern.fullmatch(line):
            return kind
    return ""


def opens_box(line: str) -> bool:
    return len(line.split()) <= MAX_BOX_START_WORDS and bool(BOX_START_LINE.fullmatch(line))


def closes_box(line: str) -> bool:
    return bool(BOX_END_LINE.fullmatch(line))


def strong_promo_hits(line: str) -> int:
    return len(STRONG_PROMO.findall(line))


def promo_hits(line: str) -> int:
    return len(PROMO_WORDS.findall(line))


def addresses_reader(line: str) -> bool:
    """ "you", "we", "our" outside quotation marks: "We will donate," she said, is reported speech."""
    return bool(ADDRESS.search(QUOTED.sub(" ", line)))


def is_offer(line: str, names_outlet: bool) -> bool:
    """A sentence that sells rather than reports: an appeal, a newsletter or subscription offer.
    Reporting about money or members is third person; offers speak to the reader or for the
    outlet ("we", "you"), or pile up the words of a sign-up form."""
    if APPEAL.search(line):
        return True
    strong = len(STRONG_PROMO.findall(line))
    address = addresses_reader(line)
    return (
        strong >= 2
        or (strong >= 1 and (address or names_outlet))
        or (promo_hits(line) >= 2 and address and names_outlet)
    )
