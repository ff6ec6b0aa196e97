# A 1,000-row export as an HR system writes one: Windows-1252, semicolons,
# no e-mail column, Active/Inactive, worker ids reused by different people,
# every row naming a manager, a third of the managers outside the file.
import random
random.seed(14)
first = ["Zoë", "José", "Anaïs", "Björn", "Chloé", "Dmitri", "Élodie", "Fatima", "Günter", "Hélène", "Ivan", "Jürgen"]
last = ["Müller", "Núñez", "O'Brien", "Søren", "Dubois", "García", "Kowalski", "Lefèvre", "Novák", "Åberg"]
rows, ids = [], [f"W{n:05d}" for n in range(1, 1001)]
for i in range(1000):
    wid = ids[i]
    if i % 40 == 39:
        wid = ids[i - 7]  # a worker id reused by another person
    if i == 0:
        mgr = "X00001"
    elif random.random() < 1 / 3:
        mgr = f"X{random.randint(1, 300):05d}"  # a manager outside the file (and the tenant)
    else:
        mgr = ids[random.randint(0, i - 1)] if random.random() < 0.8 else ids[min(999, i + random.randint(1, 50))]
    status = "Active" if i % 2 == 0 else "Inactive"
    rows.append(f"{wid};{random.choice(first)};{random.choice(last)};{mgr};{status};Dept {i % 17}")
data = "Worker ID;First Name;Last Name;Manager Worker ID;Status;Department\r\n" + "\r\n".join(rows) + "\r\n"
open("hr-export.csv", "wb").write(data.encode("cp1252"))
